//! Renders the one-page sample invoice (`app::server::pdf::sample::plain_paid_usd`).
//! Run: `cargo bench -p app --features ssr --bench invoice_pdf`; figures in docs/benchmarks.md.
use app::server::pdf::{render, sample};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn invoice_pdf(c: &mut Criterion) {
    let plain = sample::plain_paid_usd();
    let refunded = sample::partially_refunded();
    // The first render parses the fonts; keep that out of the figures.
    let bytes = render(&plain).expect("render the sample invoice");
    eprintln!("one-page invoice: {} bytes", bytes.len());

    c.bench_function("render one-page invoice (USD, paid)", |b| {
        b.iter(|| render(black_box(&plain)).expect("render"))
    });
    c.bench_function("render one-page invoice (GBP, taxes, refunds)", |b| {
        b.iter(|| render(black_box(&refunded)).expect("render"))
    });
}

criterion_group!(benches, invoice_pdf);
criterion_main!(benches);

//! A one-page PDF of plain text lines, enough for `invoice_pdf` links to open in a viewer.
//! Written by hand (a dozen objects' worth) to keep a PDF library out of the emulator.

/// PDF's built-in Helvetica is safe for ASCII only here; symbols are spelled out.
fn ascii(text: &str) -> String {
    text.replace('€', "EUR ")
        .replace('£', "GBP ")
        .replace('¥', "JPY ")
        .replace('×', "x")
        .replace('—', "-")
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    ascii(text)
        .replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

pub fn text_pdf(lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 50 790 Td 15 TL\n");
    for line in lines {
        content.push_str(&format!("({}) Tj T*\n", escape(line)));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_has_header_xref_and_escaped_text() {
        let pdf = String::from_utf8(text_pdf(&["Total (incl. tax): €10.00".to_owned()]))
            .unwrap_or_default();
        assert!(pdf.starts_with("%PDF-1.4"));
        assert!(pdf.contains("(Total \\(incl. tax\\): EUR 10.00) Tj"));
        let xref_at: usize = pdf
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(pdf[xref_at..].starts_with("xref"));
    }
}

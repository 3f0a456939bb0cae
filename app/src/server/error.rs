use crate::model::AppError;

/// Turns an internal failure into the opaque [`AppError::Internal`], logging its cause chain on
/// the server. The `what` names the step that failed, as `anyhow::Context` would.
pub trait OrInternal<T> {
    fn or_internal(self, what: &'static str) -> Result<T, AppError>;
}

impl<T, E> OrInternal<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn or_internal(self, what: &'static str) -> Result<T, AppError> {
        self.map_err(|e| {
            let e: anyhow::Error = e.into();
            tracing::error!(error = format!("{e:#}"), "{what} failed");
            AppError::Internal
        })
    }
}

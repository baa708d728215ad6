//! Opening a link or a file with the desktop's handler: the Join, Open brief
//! and Add note buttons, and `rapport join`. Only http(s) links are joined.

/// Opens a file or URL with the desktop's default handler.
pub trait Opener: Send + Sync {
    fn open(&self, target: &str) -> std::io::Result<()>;
}

/// `xdg-open TARGET`, run directly (no shell, so nothing in a meeting title
/// or URL is ever interpreted), detached from our stdio.
pub struct XdgOpen;

impl Opener for XdgOpen {
    fn open(&self, target: &str) -> std::io::Result<()> {
        let mut child = std::process::Command::new("xdg-open")
            .arg(target)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        // Reap it so it does not linger as a zombie.
        std::thread::spawn(move || child.wait());
        Ok(())
    }
}

/// An http(s) link, the only kind Join opens.
pub fn is_http_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_join() {
        assert!(is_http_url("https://meet.example/x"));
        assert!(is_http_url(" HTTP://a"));
        assert!(is_http_url("HTTPS://meet.example.org/x"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("file:///etc/passwd"));
    }
}

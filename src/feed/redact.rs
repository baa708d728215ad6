//! Published calendar links are secrets: what of a link rapport shows, and
//! scrubbing a link's secret parts out of a library's error text.

/// A calendar link as rapport shows it anywhere (output, log lines, errors,
/// the state file, the cache header): its scheme and host (with the port)
/// only, then `/…` when the link has more. Which part of a link is the
/// secret cannot be guessed (a 16-letter share token without a digit, a run
/// of 20 digits, a user name in the path), so every part after the host is
/// left out; the calendar's name says which feed it is. Credentials are
/// dropped. Text without `://` (a file path) only loses its query.
/// [`full_url_for_display`] is the one way to see more, for `check -v`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return match url.split_once('?') {
            Some((before, _)) => format!("{before}?…"),
            None => url.to_string(),
        };
    };
    let scheme = &url[..scheme_end];
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let bare = rest[authority_end..]
        .trim_start_matches('/')
        .trim()
        .is_empty();
    if bare {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// The whole link with only a password hidden: what `rapport check -v`
/// shows when the user asks to see the links they configured.
pub fn full_url_for_display(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!(
                "{}{user}:…@{host}{}",
                &url[..scheme_end + 3],
                &rest[authority_end..]
            )
        }
        None => url.to_string(),
    }
}

/// Removes every part of `url` but its scheme and host from free text such
/// as an error message from a library: the URL itself, its credentials,
/// path, path segments, query and fragment.
pub(super) fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    let mut secrets: Vec<String> = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some((userinfo, _)) = rest[..authority_end].rsplit_once('@') {
            secrets.push(userinfo.to_string());
            secrets.extend(userinfo.split(':').map(str::to_owned));
        }
        let after = &rest[authority_end..];
        secrets.push(after.to_string());
        secrets.extend(after.split(['/', '?', '#', '&', '=']).map(str::to_owned));
    }
    // Longest first, so that a part is not left behind in pieces.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets.into_iter().filter(|s| s.len() >= 4) {
        out = out.replace(&s, "…");
    }
    out
}

//! Opening the sign-in page in the person's browser (device-code flow), best effort.
//!
//! The code and the address are always shown as well, so a failure here only costs a copy and
//! paste. `ASG_FOTA_NO_BROWSER=1` turns it off (tests, remote shells).
//!
//! The address comes from the network (the identity platform's device-code answer), so it is
//! checked before anything is started: only `https` pages of the sign-in authority's host or of
//! Microsoft's device-login page are opened (plain `http` only when the authority itself is on
//! loopback, i.e. the simulator). It is handed to the OS without a shell — the `opener` crate uses
//! `ShellExecuteW` on Windows (no console window, no `cmd` parsing of `&`), `open` on macOS and
//! `xdg-open` with the URL as one argument elsewhere.

/// Hosts of Microsoft's device-login page, which Entra's device-code answers name
/// (`https://microsoft.com/devicelogin`, and the sovereign clouds' `.../deviceloginus`, ...).
const DEVICE_LOGIN_HOSTS: &[&str] = &["microsoft.com", "www.microsoft.com", "login.microsoft.com"];

/// Why a sign-in page was not opened.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The address is not one this product opens.
    #[error("the sign-in address was not opened: {0}")]
    Refused(String),
    /// The OS could not start a browser.
    #[error("the browser could not be started: {0}")]
    Failed(String),
    /// `ASG_FOTA_NO_BROWSER=1`.
    #[error("opening a browser is turned off (ASG_FOTA_NO_BROWSER)")]
    Disabled,
}

/// Whether `page` may be opened for a sign-in through `authority_host` (pure; see the module doc).
pub fn check_sign_in_page(page: &str, authority_host: &str) -> Result<url::Url, BrowserError> {
    let refused = |why: &str| BrowserError::Refused(why.to_owned());
    let url = url::Url::parse(page.trim()).map_err(|_| refused("it is not a URL"))?;
    let authority =
        url::Url::parse(authority_host.trim()).map_err(|_| refused("the authority is no URL"))?;
    let host = url.host_str().unwrap_or_default();
    let same_host = authority
        .host_str()
        .is_some_and(|a| a.eq_ignore_ascii_case(host));
    match url.scheme() {
        "https" => {
            let known = DEVICE_LOGIN_HOSTS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host));
            if same_host || known {
                Ok(url)
            } else {
                Err(refused(&format!(
                    "{host} is neither the sign-in authority nor Microsoft's device-login page"
                )))
            }
        }
        // The simulator's own page: http, on the loopback authority's host.
        "http" if same_host && crate::cloud::is_loopback(&authority) => Ok(url),
        _ => Err(refused("only https sign-in pages are opened")),
    }
}

/// Opens the device-code sign-in page `page` of a sign-in through `authority_host`, if allowed.
pub fn open_sign_in_page(page: &str, authority_host: &str) -> Result<(), BrowserError> {
    if std::env::var_os("ASG_FOTA_NO_BROWSER").is_some_and(|v| v == "1") {
        return Err(BrowserError::Disabled);
    }
    let url = check_sign_in_page(page, authority_host)?;
    opener::open_browser(url.as_str()).map_err(|e| BrowserError::Failed(e.to_string()))
}

/// [`open_sign_in_page`], logging why nothing opened (the address is shown to the person anyway).
pub fn open_sign_in_page_or_log(page: &str, authority_host: &str) {
    match open_sign_in_page(page, authority_host) {
        Ok(()) | Err(BrowserError::Disabled) => {}
        Err(error) => {
            tracing::info!(%error, "the sign-in address is shown instead of opened");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sign_in_pages_are_opened() {
        let entra = "https://login.microsoftonline.com";
        let sim = "http://127.0.0.1:7870/login";
        let cases: &[(&str, &str, bool)] = &[
            ("https://microsoft.com/devicelogin", entra, true),
            ("https://www.microsoft.com/deviceloginus", entra, true),
            (
                "https://login.microsoftonline.com/common/oauth2/deviceauth",
                entra,
                true,
            ),
            ("http://127.0.0.1:7870/login/devicelogin", sim, true),
            // Plain http off loopback, another host, or another scheme: never.
            ("http://microsoft.com/devicelogin", entra, false),
            ("https://evil.example.com/devicelogin", entra, false),
            ("https://microsoft.com.evil.example/x", entra, false),
            ("http://127.0.0.1:9999/x", entra, false),
            (
                "http://10.0.0.1/login/devicelogin",
                "http://10.0.0.1/login",
                false,
            ),
            ("file:///etc/passwd", entra, false),
            ("javascript:alert(1)", entra, false),
            ("calc.exe", entra, false),
            ("https://microsoft.com/x\" & calc", entra, true),
        ];
        for (page, authority, allowed) in cases {
            assert_eq!(
                check_sign_in_page(page, authority).is_ok(),
                *allowed,
                "{page} via {authority}"
            );
        }
        // An `&` is part of the URL handed over as one argument, percent-encoded by the parser:
        // there is no shell to run it.
        let url = check_sign_in_page("https://microsoft.com/a\"&calc", entra).unwrap();
        assert!(!url.as_str().contains('"'), "{url}");
    }
}

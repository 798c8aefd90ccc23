//! Turns what the OS reports as its locale into a BCP 47 tag the web view's `Intl` accepts.
//!
//! POSIX systems report names such as `C.UTF-8` or `ko_KR.UTF-8@hangul`, which are not BCP 47
//! and make `Intl` throw; Windows and macOS already report tags like `ko-KR`.

/// The BCP 47 tag for an OS locale name; `en-US` when the name carries no language (`C`, `POSIX`).
pub fn bcp47_from_os(os_locale: &str) -> String {
    let base = os_locale
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    let mut parts = base.split('-').filter(|part| !part.is_empty());
    let language = parts.next().unwrap_or_default();
    let is_language =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic());
    if !is_language {
        return "en-US".to_owned();
    }
    let mut tag = language.to_ascii_lowercase();
    for part in
        parts.filter(|part| part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        tag.push('-');
        // Regions are upper case by convention (`ko-KR`); scripts and variants keep their case.
        if part.len() == 2 {
            tag.push_str(&part.to_ascii_uppercase());
        } else {
            tag.push_str(part);
        }
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::bcp47_from_os;

    #[test]
    fn posix_and_bcp47_names_become_tags() {
        for (os, tag) in [
            ("C.UTF-8", "en-US"),
            ("POSIX", "en-US"),
            ("", "en-US"),
            ("ko_KR.UTF-8", "ko-KR"),
            ("en_US.UTF-8@euro", "en-US"),
            ("ko-KR", "ko-KR"),
            ("de", "de"),
            ("zh-Hans-CN", "zh-Hans-CN"),
        ] {
            assert_eq!(bcp47_from_os(os), tag, "for {os:?}");
        }
    }
}

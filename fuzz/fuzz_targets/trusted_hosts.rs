//! The trusted-host parser takes any text without panicking, and what it accepts behaves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meterstick::http::TrustedHosts;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<TrustedHosts>() {
        Ok(trusted) => {
            // What was accepted prints back as a list that parses to the same hosts.
            let again: TrustedHosts = trusted.to_string().parse().expect("display parses");
            assert_eq!(again, trusted);
            let _ = trusted.contains("127.0.0.1".parse().unwrap());
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});

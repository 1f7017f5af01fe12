//! Panics reach the host only as an `unreachable` trap: the hooks first route their message to
//! the host's log, where the host shows it with the fault.

/// Sends the message of any panic from now on to `log_error` (the logging import of the
/// contract version the hook serves).
pub fn route_to(log_error: fn(&str)) {
    std::panic::set_hook(Box::new(move |panic| log_error(&panic.to_string())));
}

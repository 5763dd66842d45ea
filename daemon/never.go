package daemon

// Never is the value that turns off what a count or duration field does
// by default, where the field's zero value means its default: Never in
// TFTP.Retries means no resend, in SSH.IdleTimeout no idle timeout, in
// SSH.BanThreshold no ban. Any negative value means the same; the field
// docs say which fields take it.
const Never = -1

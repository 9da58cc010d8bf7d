package upgrade

// EnvNotifySocket is where systemd says its notification socket is.
const EnvNotifySocket = "NOTIFY_SOCKET"

// Notify does nothing: there is no systemd on Windows.
func Notify(string) error { return nil }

// ReloadingState is the message before a reload.
func ReloadingState() string { return "RELOADING=1" }

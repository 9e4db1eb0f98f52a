"""Channel adapters: e-mail over SMTP, SMS and chat through an HTTP gateway, a JSON-lines
file for the demo. Each implements :class:`notifications.channels.base.Channel`."""

"""Notices and notifications (GACC-RVI 4(I)): e-mail over SMTP and signed webhooks, queued in the
transaction of the change they report and delivered by a dispatcher, never inside a request."""

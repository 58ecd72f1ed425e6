"""Outbound mail: one port (`Mailer`); Amazon SES in AWS, SMTP locally; the mail queue sends."""

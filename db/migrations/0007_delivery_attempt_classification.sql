-- Issue 11: a delivery attempt keeps the receiver's status and a short classification, never what the
-- receiver answered. A channel pointed at an internal service used to show the first kilobyte of that
-- service's answer through the deliveries and channel-test APIs, and its first line in error texts.

ALTER TABLE notification_attempts ADD COLUMN classification text;

-- Attempts recorded before: the class of the status (by the channel's type), or of the error text.
UPDATE notification_attempts a
SET classification = (CASE WHEN c.type = 'email' THEN 'smtp_' ELSE 'http_' END) || coalesce(left(a.status::text, 1), '2') || 'xx'
FROM notification_deliveries d JOIN channels c ON c.id = d.channel_id
WHERE d.id = a.delivery_id AND (a.status BETWEEN 200 AND 599 OR a.ok);
UPDATE notification_attempts
SET classification = CASE
    WHEN error LIKE 'timed out%' OR error ~ '^(ETIMEDOUT|network error: (ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT))' THEN 'timeout'
    WHEN error LIKE 'aborted%' THEN 'aborted'
    WHEN error ~ 'ECONNREFUSED' THEN 'connection_refused'
    WHEN error ~ '^(network error: )?(ECONNRESET|EPIPE|UND_ERR_SOCKET)' THEN 'connection_reset'
    WHEN error ~ '^(network error: )?(ENOTFOUND|EAI_AGAIN|EDNS)' THEN 'dns_error'
    WHEN error ~ '^ETLS' THEN 'tls_error'
    WHEN error LIKE 'the channel%' THEN 'channel_unavailable'
    WHEN error LIKE '%notifier threw%' THEN 'notifier_error'
    WHEN error ~ '^E(AUTH|ENVELOPE|MESSAGE|PROTOCOL)' THEN 'smtp_error'
    ELSE 'network_error'
  END
WHERE classification IS NULL;

-- The answers themselves go: emptied first (the dropped column's bytes would otherwise stay in the
-- rows until they are rewritten), then the column.
UPDATE notification_attempts SET response = NULL WHERE response IS NOT NULL;
ALTER TABLE notification_attempts DROP COLUMN response;

-- Error texts quoted the answer too: "HTTP 404: <its first line>", "SMTP 550: <the server's reply>",
-- "ESOCKET: <nodemailer's message, which may quote the server>". Cut to the status or the code.
UPDATE notification_attempts
SET error = regexp_replace(error, '((HTTP|SMTP) [0-9]{3}( \(redirects are not followed\))?).*$', '\1')
WHERE error ~ '(HTTP|SMTP) [0-9]{3}';
UPDATE notification_attempts SET error = regexp_replace(error, '^(E[A-Z]+|error): .*$', '\1') WHERE error ~ '^(E[A-Z]+|error): ';
UPDATE notification_deliveries
SET last_error = regexp_replace(last_error, '((HTTP|SMTP) [0-9]{3}( \(redirects are not followed\))?).*$', '\1')
WHERE last_error ~ '(HTTP|SMTP) [0-9]{3}';
UPDATE notification_deliveries SET last_error = regexp_replace(last_error, '^(E[A-Z]+|error): .*$', '\1') WHERE last_error ~ '^(E[A-Z]+|error): ';

ALTER TABLE notification_attempts ALTER COLUMN classification SET NOT NULL;

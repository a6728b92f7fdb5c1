using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>The e-mail notifier's log messages: subjects, the server's host and port, errors; never a password or a message body.</summary>
internal static partial class EmailNotifierLog
{
    [LoggerMessage(1501, LogLevel.Information, "E-mail notifier: sent '{Subject}' to {Recipients} recipient(s) through {SmtpHost}:{SmtpPort}")]
    public static partial void Sent(ILogger logger, string subject, int recipients, string smtpHost, int smtpPort);

    [LoggerMessage(1502, LogLevel.Warning, "E-mail notifier: sending '{Subject}' through {SmtpHost}:{SmtpPort} failed (attempt {Attempt} of {Attempts}); retrying in {Delay}")]
    public static partial void SendFailed(ILogger logger, string subject, string smtpHost, int smtpPort, int attempt, int attempts, TimeSpan delay, Exception exception);

    [LoggerMessage(1503, LogLevel.Error, "E-mail notifier: '{Subject}' was not sent through {SmtpHost}:{SmtpPort} after {Attempts} attempts; it is given up")]
    public static partial void GaveUp(ILogger logger, string subject, string smtpHost, int smtpPort, int attempts, Exception exception);

    [LoggerMessage(1504, LogLevel.Debug, "E-mail notifier: {Subject} held back by the throttle ({Suppressed} since the last e-mail)")]
    public static partial void Throttled(ILogger logger, string subject, int suppressed);

    [LoggerMessage(1505, LogLevel.Warning, "E-mail notifier: the throttle state of {Subject} could not be read from the store; this host's own copy decides")]
    public static partial void ThrottleNotRead(ILogger logger, string subject, Exception exception);

    [LoggerMessage(1506, LogLevel.Warning, "E-mail notifier: the throttle state of {Subject} could not be written to the store; this host's own copy holds it")]
    public static partial void ThrottleNotSaved(ILogger logger, string subject, Exception exception);

    [LoggerMessage(1507, LogLevel.Warning, "E-mail notifier: the failed records of job {Job} could not be read; the e-mail goes without them")]
    public static partial void RecordsNotRead(ILogger logger, string job, Exception exception);

    [LoggerMessage(1508, LogLevel.Debug, "E-mail notifier: the message was sent, but the connection to {SmtpHost}:{SmtpPort} did not close cleanly")]
    public static partial void DisconnectFailed(ILogger logger, string smtpHost, int smtpPort, Exception exception);
}

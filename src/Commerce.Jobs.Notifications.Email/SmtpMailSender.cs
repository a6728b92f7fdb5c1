using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>
/// Sends one message through the SMTP server with MailKit: connect (secured as set), authenticate if asked, send, quit.
/// Once the server took the message, a failed quit is only logged (at debug): retrying would send the message twice.
/// </summary>
internal sealed class SmtpMailSender(EmailNotifierOptions options, ILogger? logger = null)
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)options.SendTimeout.TotalMilliseconds };
        if (options.AllowInvalidCertificate)
        {
            // Documented as for tests and self-signed relays only (EmailNotifierOptions.AllowInvalidCertificate).
#pragma warning disable CA5359 // the host asked for it explicitly
            client.ServerCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        var security = options.Security switch
        {
            EmailSecurity.None => SecureSocketOptions.None,
            EmailSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(options.SmtpHost!, options.SmtpPort, security, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(options.UserName))
        {
            await client.AuthenticateAsync(options.UserName, options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The server took the message: a failed QUIT must not send it again.
            EmailNotifierLog.DisconnectFailed(logger ?? NullLogger.Instance, options.SmtpHost ?? string.Empty, options.SmtpPort, ex);
        }
    }
}

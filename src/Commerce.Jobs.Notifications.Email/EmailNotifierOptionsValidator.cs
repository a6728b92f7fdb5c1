using MimeKit;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>Checks the e-mail notifier's settings at start-up; every message names the setting, none repeats the password.</summary>
internal sealed class EmailNotifierOptionsValidator : IValidateOptions<EmailNotifierOptions>
{
    private const string Prefix = "E-mail failure notifier: ";

    public ValidateOptionsResult Validate(string? name, EmailNotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SmtpHost))
        {
            errors.Add(Prefix + "SmtpHost is required.");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            errors.Add($"{Prefix}SmtpPort must be between 1 and 65535 (was {options.SmtpPort}).");
        }

        if (!Enum.IsDefined(options.Security))
        {
            errors.Add($"{Prefix}Security must be StartTls, Tls or None (was {(int)options.Security}).");
        }

        var credentials = !string.IsNullOrEmpty(options.UserName) || !string.IsNullOrEmpty(options.Password);
        if (credentials && options.Security == EmailSecurity.None)
        {
            errors.Add(Prefix + "Security None is refused when UserName or Password is set: the credentials would cross the network in clear text. Use StartTls or Tls.");
        }

        if (string.IsNullOrEmpty(options.UserName) && !string.IsNullOrEmpty(options.Password))
        {
            errors.Add(Prefix + "Password is set without UserName.");
        }

        if (string.IsNullOrWhiteSpace(options.From))
        {
            errors.Add(Prefix + "From is required.");
        }
        else if (!IsAddress(options.From))
        {
            errors.Add($"{Prefix}From '{options.From}' is not an e-mail address.");
        }

        if (options.To.Count == 0)
        {
            errors.Add(Prefix + "To needs at least one address.");
        }

        for (var i = 0; i < options.To.Count; i++)
        {
            if (!IsAddress(options.To[i]))
            {
                errors.Add($"{Prefix}To[{i}] '{options.To[i]}' is not an e-mail address.");
            }
        }

        if (options.SiteTimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            errors.Add($"{Prefix}SiteTimeZone '{zone}' is not a known time zone id (IANA, such as Europe/Berlin, or Windows).");
        }

        if (options.DashboardBaseAddress is { } dashboard && (!dashboard.IsAbsoluteUri || (dashboard.Scheme != Uri.UriSchemeHttp && dashboard.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{Prefix}DashboardBaseAddress must be an absolute http or https address (was '{dashboard}').");
        }

        if (options.ThrottlePeriod < TimeSpan.Zero || options.ThrottlePeriod > EmailNotifierDefaults.MaxThrottlePeriod)
        {
            errors.Add($"{Prefix}ThrottlePeriod must be between 00:00:00 and {EmailNotifierDefaults.MaxThrottlePeriod} (was {options.ThrottlePeriod}).");
        }

        if (options.MaxFailedRecords is < 0 or > EmailNotifierDefaults.MaxFailedRecordsLimit)
        {
            errors.Add($"{Prefix}MaxFailedRecords must be between 0 and {EmailNotifierDefaults.MaxFailedRecordsLimit} (was {options.MaxFailedRecords}).");
        }

        if (options.SendTimeout < TimeSpan.FromSeconds(1) || options.SendTimeout > EmailNotifierDefaults.MaxSendTimeout)
        {
            errors.Add($"{Prefix}SendTimeout must be between 00:00:01 and {EmailNotifierDefaults.MaxSendTimeout} (was {options.SendTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsAddress(string? text)
        => !string.IsNullOrWhiteSpace(text) && MailboxAddress.TryParse(text, out var address) && address.Address.Contains('@', StringComparison.Ordinal);
}

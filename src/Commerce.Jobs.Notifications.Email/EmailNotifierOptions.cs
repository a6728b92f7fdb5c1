namespace Commerce.Jobs.Notifications.Email;

/// <summary>Settings of the e-mail failure notifier: the SMTP server, the sender and recipients, the site, the throttle.</summary>
/// <remarks>
/// Validated at start-up; a bad value stops the host with a message naming the setting (never a password's value).
/// They can also be bound from configuration: <c>services.Configure&lt;EmailNotifierOptions&gt;(section)</c>.
/// </remarks>
public sealed class EmailNotifierOptions
{
    /// <summary>Gets or sets the SMTP server's host name or address.</summary>
    /// <value>Required; there is no default.</value>
    public string? SmtpHost { get; set; }

    /// <summary>Gets or sets the SMTP server's port (1 to 65535).</summary>
    /// <value>The default value is 587 (submission, with STARTTLS).</value>
    public int SmtpPort { get; set; } = EmailNotifierDefaults.SmtpPort;

    /// <summary>Gets or sets how the connection is secured.</summary>
    /// <value>The default value is <see cref="EmailSecurity.StartTls"/>. <see cref="EmailSecurity.None"/> is refused when <see cref="UserName"/> is set.</value>
    public EmailSecurity Security { get; set; } = EmailSecurity.StartTls;

    /// <summary>Gets or sets the user name to authenticate with; none means the server is used without authentication.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? UserName { get; set; }

    /// <summary>Gets or sets the password for <see cref="UserName"/>. It never appears in logs or validation messages.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a server certificate that does not validate (self-signed, wrong name,
    /// expired) is accepted. For tests and a self-signed relay on a network you trust only: it gives up the protection
    /// TLS gives against a server that pretends to be yours.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowInvalidCertificate { get; set; }

    /// <summary>Gets or sets the sender address (<c>jobs@shop.example</c>, or <c>Shop jobs &lt;jobs@shop.example&gt;</c>).</summary>
    /// <value>Required; there is no default.</value>
    public string? From { get; set; }

    /// <summary>Gets the recipients' addresses (the administrators); at least one.</summary>
    /// <value>Empty by default.</value>
    public IList<string> To { get; } = [];

    /// <summary>Gets or sets the webstore's or site's name, in every subject and body (useful with several webstores).</summary>
    /// <value>The default value is <see langword="null"/>: the e-mails name the host only.</value>
    public string? SiteName { get; set; }

    /// <summary>Gets or sets the IANA or Windows id of the site's time zone: each e-mail gives its times in UTC and in this zone.</summary>
    /// <value>The default value is <see langword="null"/>: the server's local zone.</value>
    public string? SiteTimeZone { get; set; }

    /// <summary>
    /// Gets or sets the dashboard's address (where <c>MapCommerceJobs</c> maps it, such as
    /// <c>https://shop.example/jobs/</c>): each e-mail links to the run's record (JSON) on the dashboard's API
    /// there. Absolute http or https.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no link.</value>
    public Uri? DashboardBaseAddress { get; set; }

    /// <summary>
    /// Gets or sets the throttle period: at most one failure e-mail per job (and per target) in it; the failures within
    /// it are counted and summarised in the next e-mail. Held cluster-wide when the hosts share a store. Zero mails every failure.
    /// </summary>
    /// <value>The default value is 15 minutes; between zero and 1 day.</value>
    public TimeSpan ThrottlePeriod { get; set; } = EmailNotifierDefaults.ThrottlePeriod;

    /// <summary>Gets or sets how many of the run's failed records (id and error) a failure e-mail lists (0 to 1000).</summary>
    /// <value>The default value is 10.</value>
    public int MaxFailedRecords { get; set; } = EmailNotifierDefaults.MaxFailedRecords;

    /// <summary>Gets or sets how long one SMTP operation (connect, authenticate, send) may take before the send fails and is retried.</summary>
    /// <value>The default value is 30 seconds; between 1 second and 5 minutes.</value>
    public TimeSpan SendTimeout { get; set; } = EmailNotifierDefaults.SendTimeout;
}

namespace Commerce.Jobs.Notifications.Email;

/// <summary>The defaults and limits of the e-mail notifier, in one place.</summary>
internal static class EmailNotifierDefaults
{
    public const int SmtpPort = 587;
    public const int MaxFailedRecords = 10;
    public const int MaxFailedRecordsLimit = 1000;

    /// <summary>How many failures of the job store the notifier reads at most, looking for the run's failed records.</summary>
    public const int MaxFailuresScanned = 2000;

    /// <summary>The longest a single-line value (job name, record id, subject) is kept in an e-mail.</summary>
    public const int MaxLineLength = 200;

    /// <summary>The longest an error text is kept in an e-mail.</summary>
    public const int MaxErrorLength = 4000;

    /// <summary>The prefix of the notifier's throttle entries in the operator-state plane.</summary>
    public const string ThrottlePrefix = "email/";

    public static readonly TimeSpan ThrottlePeriod = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxThrottlePeriod = TimeSpan.FromDays(1);
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxSendTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The waits before the retries of a send that failed: three retries, after 1 s, 5 s and 30 s.</summary>
    public static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)];
}

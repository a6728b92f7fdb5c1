namespace Commerce.Jobs;

/// <summary>The defaults of <see cref="JobOptions"/> and <see cref="CommerceJobsOptions"/>, in one place.</summary>
internal static class JobDefaults
{
    public const int CleanupRunsPerDay = 2;
    public const int MaxArchivedRuns = 50;
    public const int BatchSize = 100;
    public const int MaxItemsToSkip = 100;
    public const int MaxRetries = 3;
    public const int MaxConcurrentRuns = 16;

    /// <summary>How many runs asked for by hand (awaited or started) may wait for their turn, per job.</summary>
    public const int MaxWaitingRequests = 100;
    public static readonly TimeSpan HistoryRetention = TimeSpan.FromDays(30);
    public static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ControlRefreshInterval = TimeSpan.FromSeconds(30);
}

using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// The counts a job's gate guards are checked after each change in debug builds (the test host turns a failed
/// <c>Debug.Assert</c> into an exception): a misuse is caught where it happens, not as a stuck job later.
/// </summary>
public sealed class JobEntryInvariantTests
{
#if DEBUG
    [Fact]
    public void OnCompleted_WithNoRunInFlight_FailsTheInvariantWhereItHappens()
    {
        var entry = new JobEntry("job", new JobOptions(), Schedule.Every(TimeSpan.FromMinutes(1)), null!);

        var ex = Record.Exception(() => entry.OnCompleted(started: false, run: null));

        Assert.NotNull(ex);
        Assert.Contains("Job 'job': -1 runs in flight", ex.Message, StringComparison.Ordinal);
    }
#endif
}

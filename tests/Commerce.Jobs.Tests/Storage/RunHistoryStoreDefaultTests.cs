using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.Storage;

/// <summary>
/// A third-party store that implements only the members it had before <see cref="IRunHistoryStore.GetPredecessorAsync"/>
/// passes the run history contract through the interface's default implementation (read over <see cref="IRunHistoryStore.GetRunsAsync"/>).
/// </summary>
public sealed class RunHistoryStoreDefaultTests : RunHistoryStoreContractTests
{
    protected override Task<IRunHistoryStore> CreateStoreAsync() => Task.FromResult<IRunHistoryStore>(new RunsOnlyStore(new InMemoryJobStore()));

    private sealed class RunsOnlyStore(IRunHistoryStore inner) : IRunHistoryStore
    {
        public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken) => inner.AddRunAsync(run, cancellationToken);

        public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken) => inner.GetRunsAsync(jobName, maxRuns, cancellationToken);

        public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken) => inner.PurgeRunsAsync(jobName, keepLast, endedBefore, cancellationToken);
    }
}

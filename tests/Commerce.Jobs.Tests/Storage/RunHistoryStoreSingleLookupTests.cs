using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.Storage;

/// <summary>
/// A third-party store that implements <see cref="IRunHistoryStore.GetPredecessorAsync"/> but not
/// <see cref="IRunHistoryStore.GetPredecessorsAsync"/> passes the run history contract through the interface's default
/// implementation of the latter (one single look-up per id).
/// </summary>
public sealed class RunHistoryStoreSingleLookupTests : RunHistoryStoreContractTests
{
    protected override Task<IRunHistoryStore> CreateStoreAsync() => Task.FromResult<IRunHistoryStore>(new SingleLookupStore(new InMemoryJobStore()));

    private sealed class SingleLookupStore(IRunHistoryStore inner) : IRunHistoryStore
    {
        public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken) => inner.AddRunAsync(run, cancellationToken);

        public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken) => inner.GetRunsAsync(jobName, maxRuns, cancellationToken);

        public ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken) => inner.GetPredecessorAsync(jobName, runId, cancellationToken);

        public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken) => inner.PurgeRunsAsync(jobName, keepLast, endedBefore, cancellationToken);
    }
}

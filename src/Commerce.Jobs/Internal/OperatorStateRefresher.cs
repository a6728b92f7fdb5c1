using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Internal;

/// <summary>
/// The one refresh of the operator state: every <see cref="CommerceJobsOptions.ControlRefreshInterval"/>, each kind is
/// read once and handed to its appliers (job controls to the engine, entity-sync configurations to entity sync), so a
/// change made on another host sharing the store reaches this one. Started and stopped with the engine.
/// </summary>
/// <param name="store">The operator-state store.</param>
/// <param name="appliers">Gives the appliers, asked at the first pass (so that building the engine builds no other part).</param>
/// <param name="time">The clock.</param>
internal sealed class OperatorStateRefresher(IOperatorStateStore store, Func<IReadOnlyList<IOperatorStateApplier>> appliers, TimeProvider time)
{
    private readonly Lazy<IReadOnlyList<IOperatorStateApplier>> _appliers = new(appliers);

    /// <summary>Starts the periodic passes until <paramref name="stopping"/> fires.</summary>
    /// <returns>A task that completes when stopped (it never faults).</returns>
    public Task Start(TimeSpan interval, CancellationToken stopping) =>
        Periodic.Start(interval, time, RefreshAsync, static _ => { }, stopping);

    /// <summary>One pass: each kind read once, its entries applied; a kind that cannot be read, or an applier that fails, is logged.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var kind in _appliers.Value.GroupBy(a => a.Kind, StringComparer.Ordinal))
        {
            IReadOnlyList<OperatorStateEntry> entries;
            try
            {
                entries = await store.GetAsync(kind.Key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                foreach (var applier in kind)
                {
                    applier.Failed(ex);
                }

                continue;
            }

            foreach (var applier in kind)
            {
                try
                {
                    await applier.ApplyAsync(entries, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    applier.Failed(ex);
                }
            }
        }
    }
}

namespace Commerce.Jobs;

/// <summary>Background work repeated on the <see cref="TimeProvider"/>: one timer, re-armed after each pass (never a backlog).</summary>
internal static class Periodic
{
    /// <summary>
    /// Runs <paramref name="work"/> every <paramref name="interval"/> until <paramref name="stopping"/> fires; an
    /// infinite interval runs nothing. The work handles its own failures.
    /// </summary>
    /// <returns>A task that completes when stopped.</returns>
    public static Task Start(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> work, CancellationToken stopping)
    {
        if (interval == Timeout.InfiniteTimeSpan)
        {
            return Task.CompletedTask;
        }

        return Task.Run(
            async () =>
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(interval, time, stopping).ConfigureAwait(false);
                        await work(stopping).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // Stopping.
                }
            },
            CancellationToken.None);
    }
}

namespace Commerce.Jobs;

/// <summary>Background work repeated on the <see cref="TimeProvider"/>: one timer, re-armed after each pass (never a backlog).</summary>
internal static class Periodic
{
    /// <summary>
    /// Runs <paramref name="work"/> every <paramref name="interval"/> until <paramref name="stopping"/> fires; an
    /// infinite interval runs nothing. A pass that throws is reported to <paramref name="failed"/> (to log it) and the
    /// next one runs at its time.
    /// </summary>
    /// <returns>A task that completes when stopped (it never faults).</returns>
    public static Task Start(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> work, Action<Exception> failed, CancellationToken stopping)
    {
        if (interval == Timeout.InfiniteTimeSpan)
        {
            return Task.CompletedTask;
        }

        return Task.Run(
            async () =>
            {
                while (!stopping.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(interval, time, stopping).ConfigureAwait(false);
                        await work(stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                    {
                        // Stopping.
                    }
                    catch (Exception ex)
                    {
                        // One failed pass does not end the ones after it.
                        failed(ex);
                    }
                }
            },
            CancellationToken.None);
    }
}

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// A pulse raised whenever something a multi-host test waits on changes (a host's store counts, a host's timers, a job
/// of the test), so that the test waits for a condition on them without polling. A pulse from another test only wakes a
/// waiter to check its condition again.
/// </summary>
internal static class Progress
{
    private static TaskCompletionSource s_next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static void Pulse() => Interlocked.Exchange(ref s_next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits until <paramref name="condition"/> holds, checking it at every pulse, for at most <see cref="Wait.Patience"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> because)
    {
        using var patience = new CancellationTokenSource(Wait.Patience);
        while (true)
        {
            // Taken before the check: a change after it completes this pulse.
            var next = Volatile.Read(ref s_next).Task;
            if (condition())
            {
                return;
            }

            try
            {
                await next.WaitAsync(patience.Token);
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested)
            {
                Assert.Fail($"Not within {Wait.Patience.TotalSeconds} s: {because()}");
            }
        }
    }
}

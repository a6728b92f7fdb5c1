namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>An order record of the tests.</summary>
public sealed record Order(string Number) : IRecord
{
    public string RecordId => Number;
}

/// <summary>A target whose behaviour is a delegate.</summary>
internal sealed class DelegateTarget<T>(Func<DeliveryBatch<T>, CancellationToken, Task<DeliveryResult>> deliver) : IDeliveryTarget<T>
{
    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken) => await deliver(batch, cancellationToken);
}

internal static class Wait
{
    /// <summary>
    /// How long a test waits for an outcome, in real time: generous, as the suite runs on busy shared machines (a test
    /// that passes waits only as long as the outcome takes).
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Polls <paramref name="condition"/> (state of the database) until it holds, for at most <see cref="Patience"/> of real time.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> because)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (!await condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"Not within {Patience.TotalSeconds} s: {because()}");
            await Task.Delay(5);
        }
    }

    public static Task UntilAsync(Func<bool> condition, Func<string> because) => UntilAsync(() => Task.FromResult(condition()), because);
}

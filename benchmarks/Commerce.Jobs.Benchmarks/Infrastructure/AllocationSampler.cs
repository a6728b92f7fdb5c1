using System.Diagnostics.Tracing;
using System.Globalization;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// Samples what a process allocates, by type, from the runtime's GCAllocationTick events (one about every 100 KB
/// allocated, naming the type whose allocation crossed the threshold): the bytes per type are proportional to what
/// each type costs. Used by <c>--loop ... --alloc</c>.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Report(TextWriter output, long operations)
    {
        lock (_gate)
        {
            var total = _bytes.Values.Sum();
            output.WriteLine($"// allocation samples by type (share of sampled bytes; {operations} operations):");
            foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(20))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"//   {bytes * 100.0 / Math.Max(1, total),5:N1}%  {type}"));
            }
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        var typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0)
        {
            return;
        }

        var type = eventData.Payload[typeIndex] as string ?? "?";
        var amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
        lock (_gate)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }
}

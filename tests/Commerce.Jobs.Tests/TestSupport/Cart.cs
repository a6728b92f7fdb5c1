using System.Runtime.CompilerServices;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>An order record of the tests.</summary>
internal sealed record Order(string Number, DateTimeOffset PlacedAt = default) : IRecord
{
    public string RecordId => Number;
}

/// <summary>
/// A cart's order table as a record source and status sink: orders are pending until reported delivered or failed;
/// skipped ones stay pending. Counts what was read and not yet reported, to prove memory stays bounded.
/// </summary>
internal sealed class Cart : IRecordSource<Order>, IRecordStatusSink<Order>
{
    private readonly Dictionary<string, (Order Order, RecordStatus Status)> _orders = [];
    private readonly List<string> _sequence = [];
    private readonly Lock _gate = new();
    private long _outstanding;

    public Cart(IEnumerable<Order>? orders = null)
    {
        foreach (var order in orders ?? [])
        {
            Add(order);
        }
    }

    public List<(string Id, RecordOutcome Outcome)> Reports { get; } = [];

    public long MaxOutstanding { get; private set; }

    public RecordQuery? LastQuery { get; private set; }

    public void Add(Order order)
    {
        lock (_gate)
        {
            _orders[order.Number] = (order, RecordStatus.TransientFailure);
            _sequence.Add(order.Number);
        }
    }

    public RecordStatus StatusOf(string number)
    {
        lock (_gate)
        {
            return _orders[number].Status;
        }
    }

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _orders.Values.Count(o => o.Status is RecordStatus.TransientFailure or RecordStatus.Skipped);
            }
        }
    }

    public async IAsyncEnumerable<Order> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        LastQuery = query;
        await Task.Yield();
        List<Order> wanted;
        lock (_gate)
        {
            wanted = [.. _sequence.Select(n => _orders[n]).Where(o => o.Status is RecordStatus.TransientFailure or RecordStatus.Skipped
                || (query.IncludeFailed && o.Status == RecordStatus.PermanentFailure)).Where(o => query.NotBefore is null || o.Order.PlacedAt >= query.NotBefore).Select(o => o.Order)];
        }

        foreach (var order in wanted)
        {
            Track(+1);
            yield return order;
        }
    }

    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            for (var i = 0; i < records.Length; i++)
            {
                var order = records.Span[i];
                var outcome = outcomes.Span[i];
                Reports.Add((order.Number, outcome));
                _orders[order.Number] = (order, outcome.Status);
            }
        }

        Track(-records.Length);
        return ValueTask.CompletedTask;
    }

    private void Track(long delta)
    {
        lock (_gate)
        {
            _outstanding += delta;
            MaxOutstanding = Math.Max(MaxOutstanding, _outstanding);
        }
    }
}

/// <summary>A source of generated orders that never materialises them, counting how many are read and not yet reported.</summary>
internal sealed class GeneratedOrders(int count) : IRecordSource<Order>, IRecordStatusSink<Order>
{
    private long _outstanding;
    private long _max;

    public long MaxOutstanding => Interlocked.Read(ref _max);

    public async IAsyncEnumerable<Order> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        for (var i = 0; i < count; i++)
        {
            var now = Interlocked.Increment(ref _outstanding);
            if (now > Interlocked.Read(ref _max))
            {
                Interlocked.Exchange(ref _max, now);
            }

            yield return new Order(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _outstanding, -records.Length);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An ERP that answers each record as its script says, and counts deliveries per order.</summary>
internal sealed class ScriptedErp(Func<DeliveryBatch<Order>, DeliveryResult>? respond = null) : IDeliveryTarget<Order>
{
    private readonly Dictionary<string, int> _delivered = [];

    public Func<DeliveryBatch<Order>, DeliveryResult> Respond { get; set; } = respond ?? (_ => DeliveryResult.Delivered);

    public int Calls { get; private set; }

    public int DeliveredCount(string number)
    {
        lock (_delivered)
        {
            return _delivered.GetValueOrDefault(number);
        }
    }

    public IReadOnlyDictionary<string, int> Delivered
    {
        get
        {
            lock (_delivered)
            {
                return new Dictionary<string, int>(_delivered);
            }
        }
    }

    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
    {
        DeliveryResult result;
        lock (_delivered)
        {
            Calls++;
            result = Respond(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                if (result.GetOutcome(i).Status == RecordStatus.Delivered)
                {
                    var id = batch.GetRecordId(i);
                    _delivered[id] = _delivered.GetValueOrDefault(id) + 1;
                }
            }
        }

        return ValueTask.FromResult(result);
    }
}

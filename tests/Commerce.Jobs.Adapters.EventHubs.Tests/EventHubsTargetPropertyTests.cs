using System.Text.Json;
using Commerce.Jobs.Adapters.EventHubs.Tests.TestSupport;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Jobs.Adapters.EventHubs.Tests;

/// <summary>Batching by partition key over hostile ids: every record goes out once, one id's events in order, keys within the limit.</summary>
public sealed class EventHubsTargetPropertyTests
{
    /// <summary>Ids from outside: control characters (CR, LF, NUL), non-ASCII, lone surrogates, empty and huge.</summary>
    private static readonly Gen<string> HostileId = Gen.Frequency(
        (6, from n in Gen.Choose(0, 12)
            from chars in Gen.ArrayOf(Gen.Frequency(
                (4, Gen.Choose(' ', '~').Select(c => (char)c)),
                (1, Gen.Constant('\0')),
                (1, Gen.Elements('\r', '\n', '\t', '\u001f', '\u007f')),
                (1, Gen.Choose(0xD800, 0xDFFF).Select(c => (char)c)),
                (1, Gen.Elements('é', 'ß', '東', '\u00A0', '\u2028', '\uFFFF'))), n)
            select new string(chars)),
        (1, from n in Gen.Choose(120, 400) select new string('x', n) + n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Arbitrary<(string[] Ids, int[] Picks, int PerBatch, int Concurrency)> Deliveries =
        (from ids in Gen.ArrayOf(HostileId, 1).SelectMany(first => Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(HostileId, n)))
         from picks in Gen.Choose(1, 30).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, ids.Length - 1), n))
         from perBatch in Gen.Choose(1, 4)
         from concurrency in Gen.Choose(1, 4)
         select (ids, picks, perBatch, concurrency)).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Every_record_goes_out_once_and_one_ids_events_keep_their_order_under_one_key() => Prop.ForAll(Deliveries, d =>
    {
        var orders = d.Picks.Select((pick, seq) => new Order(d.Ids[pick], seq.ToString(System.Globalization.CultureInfo.InvariantCulture), seq)).ToArray();
        var largest = orders.Max(o => JsonSerializer.SerializeToUtf8Bytes(o, JsonSerializerOptions.Web).Length
            + "idempotency-key".Length + IdempotencyKey.Create(Batches.Job, o.Id).Length + "job".Length + Batches.Job.Length);
        var producer = new FakeProducer { MaxBatchBytes = largest * d.PerBatch };
        var sut = new EventHubsTarget(
            "events",
            new EventHubsTargetOptions { ConnectionString = EventHubsTargetTests.ConnectionString, EventHubName = "orders", MaxConcurrentSends = d.Concurrency },
            producer,
            TimeProvider.System,
            NullLogger.Instance);

        var result = sut.DeliverAsync(Batches.Of(orders), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var sent = producer.Sent.SelectMany(b => b.Events.Select(e => (b.PartitionKey, Seq: int.Parse(JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer, System.Globalization.CultureInfo.InvariantCulture), Event: e))).ToList();
        Assert.Equal(Enumerable.Range(0, orders.Length), sent.Select(s => s.Seq).Order());
        foreach (var (key, seq, data) in sent)
        {
            Assert.Equal(EventHubsTarget.PartitionKey(orders[seq].Id), key);
            Assert.True(key!.Length <= 128, $"partition key of {key.Length} characters");
            var idempotencyKey = (string)data.Properties["idempotency-key"];
            Assert.All(idempotencyKey, c => Assert.InRange(c, '!', '~'));
        }

        foreach (var group in sent.GroupBy(s => s.PartitionKey))
        {
            var seqs = group.Select(s => s.Seq).ToArray();
            Assert.Equal(seqs.Order(), seqs);
        }

        Assert.All(producer.Sent, b => Assert.NotEmpty(b.Events));
    });
}

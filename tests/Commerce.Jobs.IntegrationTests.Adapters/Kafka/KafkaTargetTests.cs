using System.Diagnostics;
using System.Text.Json;
using Commerce.Jobs.Adapters.Kafka;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Commerce.Jobs.IntegrationTests.Adapters.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.IntegrationTests.Adapters.Kafka;

/// <summary>The Kafka target against librdkafka's mock cluster: keys, headers, values, order, per-record outcomes, error mapping.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTargetTests(KafkaMockCluster cluster) : IDisposable
{
    private readonly string _topic = "orders-" + Guid.NewGuid().ToString("N");
    private readonly List<KafkaTarget> _targets = [];
    private readonly CapturingLoggerProvider _logs = new();

    [Fact]
    public async Task Each_record_is_one_message_keyed_by_its_id_with_JSON_value_and_idempotency_key_header()
    {
        var sut = CreateSut();
        var orders = Batches.Orders(4);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var messages = cluster.ReadAll(_topic);
        Assert.Equal(orders.Select(o => o.Id).Order(), messages.Select(m => m.Message.Key).Order());
        foreach (var message in messages)
        {
            var order = JsonSerializer.Deserialize<Order>(message.Message.Value, JsonSerializerOptions.Web)!;
            Assert.Equal(message.Message.Key, order.Id);
            Assert.Equal(orders.Single(o => o.Id == order.Id), order);
            Assert.Equal($"order-submit:{order.Id}", KafkaMockCluster.Header(message, "idempotency-key"));
            Assert.Equal("order-submit", KafkaMockCluster.Header(message, "job"));
            Assert.Contains("\"customer\":", System.Text.Encoding.UTF8.GetString(message.Message.Value), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task One_entitys_changes_share_a_partition_in_order_with_type_kind_and_version_headers_and_a_delete_is_a_tombstone()
    {
        var sut = CreateSut();
        var changes = new[]
        {
            EntityChange.Upsert("categories", "shoes", new { name = "Shoes" }, 1),
            EntityChange.Upsert("categories", "boots", new { name = "Boots" }, 1),
            EntityChange.Upsert("categories", "shoes", new { name = "Shoes & more" }, 2),
            EntityChange.Delete("categories", "shoes", 3),
        };

        var result = await sut.DeliverAsync(new DeliveryBatch<EntityChange>("categories", changes, c => c.RecordId, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var shoes = cluster.ReadAll(_topic).Where(m => m.Message.Key == "shoes").ToArray();
        Assert.Single(shoes.Select(m => m.Partition.Value).Distinct());
        Assert.Equal(["1", "2", "3"], shoes.Select(m => KafkaMockCluster.Header(m, "entity-version")));
        Assert.Equal(["upsert", "upsert", "delete"], shoes.Select(m => KafkaMockCluster.Header(m, "change-kind")));
        Assert.All(shoes, m => Assert.Equal("categories", KafkaMockCluster.Header(m, "entity-type")));
        Assert.Equal(["categories:shoes:1", "categories:shoes:2", "categories:shoes:3"], shoes.Select(m => KafkaMockCluster.Header(m, "idempotency-key")));
        Assert.Equal("{\"name\":\"Shoes \\u0026 more\"}", System.Text.Encoding.UTF8.GetString(shoes[1].Message.Value));
        Assert.Null(shoes[2].Message.Value);
    }

    [Fact]
    public async Task Entity_changes_go_through_the_typed_contract_and_through_the_generic_one_a_change_is_a_record_like_any_other()
    {
        var sut = CreateSut();
        var delete = EntityChange.Delete("categories", "shoes", 3);

        IDeliveryTarget<EntityChange> typed = sut;
        IDeliveryTarget generic = sut;
        Assert.Equal(RecordStatus.Delivered, (await typed.DeliverAsync(new DeliveryBatch<EntityChange>("categories", new[] { delete }, c => c.RecordId, 0), CancellationToken.None)).BatchStatus);
        Assert.Equal(RecordStatus.Delivered, (await generic.DeliverAsync(new DeliveryBatch<EntityChange>("categories", new[] { delete }, c => c.RecordId, 0), CancellationToken.None)).BatchStatus);

        var messages = cluster.ReadAll(_topic);
        var tombstone = Assert.Single(messages, m => m.Message.Key == "shoes");
        Assert.Null(tombstone.Message.Value);
        Assert.Equal("delete", KafkaMockCluster.Header(tombstone, "change-kind"));
        var record = Assert.Single(messages, m => m.Message.Key == delete.RecordId);
        Assert.Equal("shoes", JsonSerializer.Deserialize<JsonElement>(record.Message.Value).GetProperty("id").GetString());
        Assert.DoesNotContain(record.Message.Headers, h => h.Key == "change-kind");
    }

    [Fact]
    public async Task Headers_carry_outside_values_as_one_line_of_visible_ASCII_and_the_safe_idempotency_key()
    {
        var sut = CreateSut();
        var change = EntityChange.Upsert("Kategorien\r\nÜ", "Schuhe\r\nX-Injected: 1\0", new { name = "Schuhe" }, 4);

        var result = await sut.DeliverAsync(new DeliveryBatch<EntityChange>(change.EntityType, new[] { change }, c => c.RecordId, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var message = Assert.Single(cluster.ReadAll(_topic));
        Assert.Equal(change.Id, message.Message.Key);
        Assert.Equal(change.IdempotencyKey, KafkaMockCluster.Header(message, "idempotency-key"));
        Assert.Equal("Kategorien%0D%0A%C3%9C:Schuhe%0D%0AX-Injected:%201%00:4", change.IdempotencyKey);
        Assert.Equal("Kategorien%0D%0A%C3%9C", KafkaMockCluster.Header(message, "entity-type"));
        Assert.Equal("Kategorien%0D%0A%C3%9C", KafkaMockCluster.Header(message, "job"));
        Assert.All(message.Message.Headers, h => Assert.True(h.GetValueBytes().All(b => b is >= (byte)'!' and <= (byte)'~'), h.Key));
    }

    [Fact]
    public async Task A_record_whose_converter_throws_fails_alone_and_the_others_are_delivered()
    {
        var sut = CreateSut();
        var lines = new[] { new Line("L-1", "ok"), new Line("L-2", new Poison()), new Line("L-3", "ok") };

        var result = await sut.DeliverAsync(new DeliveryBatch<Line>("order-submit", lines, l => l.Id, 0), CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Contains("InvalidOperationException: the payload cannot be written", result.Outcomes.Span[1].Error, StringComparison.Ordinal);
        Assert.Equal(["L-1", "L-3"], cluster.ReadAll(_topic).Select(m => m.Message.Key).Order());
    }

    [Fact]
    public async Task A_record_too_large_fails_permanently_while_the_others_of_the_batch_are_delivered()
    {
        var sut = CreateSut(o => o.ProducerSettings["message.max.bytes"] = "2000");
        var orders = Batches.Orders(3).Append(new Order("1099", new string('x', 5000), 1m)).Concat(Batches.Orders(2, prefix: "20")).ToArray();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Null(result.BatchStatus);
        var outcomes = result.Outcomes.ToArray();
        Assert.Equal(6, outcomes.Length);
        Assert.Equal(RecordStatus.PermanentFailure, outcomes[3].Status);
        Assert.Contains("record '1099' was not delivered", outcomes[3].Error, StringComparison.Ordinal);
        Assert.Contains("MsgSizeTooLarge", outcomes[3].Error, StringComparison.Ordinal);
        Assert.All(outcomes.Where((_, i) => i != 3), o => Assert.Equal(RecordStatus.Delivered, o.Status));
        Assert.Equal(["1001", "1002", "1003", "2001", "2002"], cluster.ReadAll(_topic).Select(m => m.Message.Key).Order());
        Assert.Contains(_logs.Lines, l => l.Contains("Kafka target events: 1 of 6 records were not delivered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Records_that_cannot_be_serialized_fail_permanently_and_the_others_go_out()
    {
        var sut = CreateSut();
        var records = new[] { new Unserializable("1", typeof(string)) };

        var result = await sut.DeliverAsync(new DeliveryBatch<Unserializable>("order-submit", records, u => u.Id, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.GetOutcome(0).Status);
        Assert.Contains("cannot be serialized to JSON", result.GetOutcome(0).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_broker_is_a_transient_failure_of_the_whole_batch_within_the_delivery_timeout()
    {
        var sut = CreateSut(o =>
        {
            o.BootstrapServers = $"127.0.0.1:{FreePort.Next()}";
            o.DeliveryTimeout = TimeSpan.FromSeconds(1);
        });
        var watch = Stopwatch.StartNew();

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        // Generous (a busy machine): the point is that it ends near the delivery timeout, not at librdkafka's own 5-minute default.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), $"took {watch.Elapsed}");
        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.True(result.Outcomes.IsEmpty);
        Assert.Contains("Local_MsgTimedOut", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_broker_with_a_record_that_cannot_be_made_into_a_message_is_still_a_transient_failure_of_the_whole_batch()
    {
        var sut = CreateSut(o =>
        {
            o.BootstrapServers = $"127.0.0.1:{FreePort.Next()}";
            o.DeliveryTimeout = TimeSpan.FromSeconds(1);
        });
        var lines = new[] { new Line("L-1", "ok"), new Line("L-2", new Poison()), new Line("L-3", "ok") };

        var result = await sut.DeliverAsync(new DeliveryBatch<Line>("order-submit", lines, l => l.Id, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("Local_MsgTimedOut", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_wait_for_delivery_reports_throws_promptly()
    {
        var sut = CreateSut(o =>
        {
            o.BootstrapServers = $"127.0.0.1:{FreePort.Next()}";
            o.DeliveryTimeout = TimeSpan.FromMinutes(5);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), cts.Token));

        // Generous (a busy machine), and far below the delivery timeout it would otherwise wait for.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(ErrorCodeName.MsgSizeTooLarge, true)]
    [InlineData(ErrorCodeName.TopicException, true)]
    [InlineData(ErrorCodeName.Local_UnknownTopic, true)]
    [InlineData(ErrorCodeName.TopicAuthorizationFailed, true)]
    [InlineData(ErrorCodeName.Local_MsgTimedOut, false)]
    [InlineData(ErrorCodeName.NotEnoughReplicas, false)]
    [InlineData(ErrorCodeName.LeaderNotAvailable, false)]
    [InlineData(ErrorCodeName.Local_QueueFull, false)]
    [InlineData(ErrorCodeName.RequestTimedOut, false)]
    public void Errors_that_a_retry_cannot_fix_are_permanent(ErrorCodeName code, bool permanent) =>
        Assert.Equal(permanent, KafkaTarget.IsPermanent(Enum.Parse<Confluent.Kafka.ErrorCode>(code.ToString())));

    [Fact]
    public void Settings_that_would_break_idempotence_or_name_no_topic_are_rejected_by_name()
    {
        var options = new KafkaTargetOptions { BootstrapServers = cluster.BootstrapServers, Topic = "orders/eu" };
        options.ProducerSettings["enable.idempotence"] = "false";
        options.ProducerSettings["acks"] = "1";
        options.DeliveryTimeout = TimeSpan.Zero;

        var ex = Assert.Throws<OptionsValidationException>(() => new KafkaTarget("events", options, TimeProvider.System, _logs.CreateLogger("test")));

        Assert.Contains("Kafka target 'events': Topic must be at most 249 letters, digits, '.', '_' and '-', and not '.' or '..' (was 'orders/eu').", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("Kafka target 'events': ProducerSettings['enable.idempotence'] cannot be set", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Kafka target 'events': ProducerSettings['acks'] cannot be set", StringComparison.Ordinal));
        Assert.Contains("Kafka target 'events': DeliveryTimeout must be between 00:00:00.001 and 1.00:00:00 (was 00:00:00).", ex.Failures);
    }

    [Fact]
    public void A_producer_setting_librdkafka_rejects_fails_at_creation_naming_the_target()
    {
        var options = new KafkaTargetOptions { BootstrapServers = cluster.BootstrapServers, Topic = _topic };
        options.ProducerSettings["compression.type"] = "zip";

        var ex = Assert.Throws<OptionsValidationException>(() => new KafkaTarget("events", options, TimeProvider.System, _logs.CreateLogger("test")));

        Assert.StartsWith("Kafka target 'events': the producer cannot be created from the settings:", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejected_secret_setting_is_not_repeated()
    {
        const string secret = "not-a-number-secret-4711";
        var options = new KafkaTargetOptions { BootstrapServers = cluster.BootstrapServers, Topic = _topic };
        options.ProducerSettings["ssl.keystore.password"] = secret;
        options.ProducerSettings["queue.buffering.max.kbytes"] = secret; // pasted into the wrong setting

        var ex = Assert.Throws<OptionsValidationException>(() => new KafkaTarget("events", options, TimeProvider.System, _logs.CreateLogger("test")));

        Assert.StartsWith("Kafka target 'events': the producer cannot be created from the settings:", Assert.Single(ex.Failures), StringComparison.Ordinal);
        Assert.Contains("queue.buffering.max.kbytes", ex.Failures.Single(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disposed_target_refuses_batches()
    {
        var sut = CreateSut();
        Assert.Equal(RecordStatus.Delivered, (await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None)).BatchStatus);

        sut.Dispose();
        sut.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None));
    }

    public void Dispose()
    {
        foreach (var target in _targets)
        {
            target.Dispose();
        }
    }

    private KafkaTarget CreateSut(Action<KafkaTargetOptions>? configure = null)
    {
        var options = new KafkaTargetOptions { BootstrapServers = cluster.BootstrapServers, Topic = _topic, DeliveryTimeout = TimeSpan.FromMinutes(1) };
        configure?.Invoke(options);
        var target = new KafkaTarget("events", options, TimeProvider.System, LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)).CreateLogger<KafkaTarget>());
        _targets.Add(target);
        return target;
    }

    public sealed record Line(string Id, object Payload);

    [System.Text.Json.Serialization.JsonConverter(typeof(PoisonConverter))]
    public sealed class Poison;

    private sealed class PoisonConverter : System.Text.Json.Serialization.JsonConverter<Poison>
    {
        public override Poison Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, Poison value, JsonSerializerOptions options) => throw new InvalidOperationException("the payload cannot be written");
    }

    /// <summary>Confluent's <c>ErrorCode</c> names, so the theory's data is serializable.</summary>
    public enum ErrorCodeName
    {
        MsgSizeTooLarge,
        TopicException,
        Local_UnknownTopic,
        TopicAuthorizationFailed,
        Local_MsgTimedOut,
        NotEnoughReplicas,
        LeaderNotAvailable,
        Local_QueueFull,
        RequestTimedOut,
    }
}

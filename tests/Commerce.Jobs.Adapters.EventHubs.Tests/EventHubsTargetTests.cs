using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Azure.Messaging.EventHubs;
using Commerce.Jobs.Adapters.EventHubs.Tests.TestSupport;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.EventHubs.Tests;

/// <summary>The Event Hubs target through the fake producer: events, properties, batching by partition key, splitting, error mapping.</summary>
public sealed class EventHubsTargetTests
{
    public const string Key = "c2VjcmV0LWtleS1kby1ub3QtbG9nLTAxMjM0NTY3ODk=";
    public const string ConnectionString = "Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + Key;

    private readonly FakeProducer _producer = new();
    private readonly FakeTimeProvider _time = new(Batches.Start);

    [Fact]
    public async Task Each_record_is_one_event_keyed_by_its_id_with_a_JSON_body_and_idempotency_key_and_job_properties()
    {
        var sut = CreateSut();
        var orders = Batches.Orders(3);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Equal(orders.Select(o => o.Id).Order(), _producer.Sent.Select(b => b.PartitionKey!).Order());
        foreach (var sent in _producer.Sent)
        {
            var data = Assert.Single(sent.Events);
            var order = JsonSerializer.Deserialize<Order>(data.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!;
            Assert.Equal(sent.PartitionKey, order.Id);
            Assert.Equal(orders.Single(o => o.Id == order.Id), order);
            Assert.Equal("application/json", data.ContentType);
            Assert.Equal($"order-submit:{order.Id}", data.Properties["idempotency-key"]);
            Assert.Equal("order-submit", data.Properties["job"]);
            Assert.Contains("\"customer\":", data.EventBody.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Records_are_grouped_by_partition_key_one_batch_per_key_in_the_batchs_order()
    {
        var sut = CreateSut(o => o.MaxConcurrentSends = 1);
        var changes = new[]
        {
            EntityChange.Upsert("categories", "shoes", new { name = "Shoes" }, 1),
            EntityChange.Upsert("categories", "boots", new { name = "Boots" }, 1),
            EntityChange.Upsert("categories", "shoes", new { name = "Shoes & more" }, 2),
            EntityChange.Delete("categories", "shoes", 3),
            EntityChange.Upsert("categories", "boots", new { name = "Boots!" }, 2),
        };

        var result = await sut.DeliverAsync(Changes(changes), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Equal(["shoes", "boots"], _producer.Sent.Select(b => b.PartitionKey));
        Assert.Equal([1L, 2L, 3L], _producer.Sent[0].Events.Select(e => (long)e.Properties["entity-version"]));
        Assert.Equal([1L, 2L], _producer.Sent[1].Events.Select(e => (long)e.Properties["entity-version"]));
    }

    [Fact]
    public async Task Entity_changes_carry_type_kind_and_version_and_a_delete_is_an_event_of_kind_delete_with_an_empty_body()
    {
        var sut = CreateSut();
        var changes = new[] { EntityChange.Upsert("categories", "shoes", new { name = "Shoes & more" }, 2), EntityChange.Delete("categories", "shoes", 3) };

        var result = await sut.DeliverAsync(Changes(changes), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var batch = Assert.Single(_producer.Sent);
        Assert.Equal("shoes", batch.PartitionKey);
        var (upsert, delete) = (batch.Events[0], batch.Events[1]);
        Assert.Equal("{\"name\":\"Shoes \\u0026 more\"}", upsert.EventBody.ToString());
        Assert.Equal(["upsert", "delete"], batch.Events.Select(e => e.Properties["change-kind"]));
        Assert.All(batch.Events, e => Assert.Equal("categories", e.Properties["entity-type"]));
        Assert.All(batch.Events, e => Assert.Equal("categories", e.Properties["job"]));
        Assert.Equal(["categories:shoes:2", "categories:shoes:3"], batch.Events.Select(e => e.Properties["idempotency-key"]));
        Assert.Equal(0, delete.EventBody.ToMemory().Length);
        Assert.Null(delete.ContentType);
    }

    [Fact]
    public async Task Through_the_generic_contract_an_entity_change_is_a_record_like_any_other()
    {
        IDeliveryTarget sut = CreateSut();
        var delete = EntityChange.Delete("categories", "shoes", 3);

        var result = await sut.DeliverAsync(new DeliveryBatch<EntityChange>("categories", new[] { delete }, c => c.RecordId, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var batch = Assert.Single(_producer.Sent);
        Assert.Equal("shoes:3", batch.PartitionKey);
        Assert.False(batch.Events[0].Properties.ContainsKey("change-kind"));
        Assert.Equal("shoes", JsonSerializer.Deserialize<JsonElement>(batch.Events[0].EventBody.ToMemory().Span).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_key_whose_events_do_not_fit_one_batch_is_split_over_batches_in_order()
    {
        var orders = Enumerable.Range(1, 5).Select(i => new Order("same", $"Customer {i}", i)).ToArray();
        var size = EventSize(orders[0]);
        _producer.MaxBatchBytes = (2 * size) + 1;
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Equal([2, 2, 1], _producer.Sent.Select(b => b.Events.Count));
        Assert.All(_producer.Sent, b => Assert.Equal("same", b.PartitionKey));
        Assert.Equal(orders.Select(o => o.Customer), _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer));
    }

    [Fact]
    public async Task An_event_too_large_for_an_empty_batch_fails_permanently_alone_and_the_rest_of_its_key_goes_on()
    {
        var orders = new[] { new Order("1001", "a", 1), new Order("1001", new string('x', 4000), 2), new Order("1001", "c", 3), new Order("1002", "d", 4) };
        _producer.MaxBatchBytes = 1000;
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Null(result.BatchStatus);
        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.StartsWith("Event Hubs target 'events': record '1001' is too large for one event of event hub 'orders' (at most ", result.GetOutcome(1).Error, StringComparison.Ordinal);
        Assert.Equal(["a", "c", "d"], _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer).Order());
    }

    [Fact]
    public async Task A_batch_the_service_rejects_as_too_large_is_split_and_a_single_event_it_rejects_fails_permanently()
    {
        var orders = Enumerable.Range(1, 4).Select(i => new Order("same", i == 3 ? "huge" : $"c{i}", i)).ToArray();
        _producer.FailSend = (batch, _) => batch.Events.Count > 1 || batch.Events[0].EventBody.ToString().Contains("huge", StringComparison.Ordinal)
            ? new EventHubsException(false, "orders", "The received message (delivery-id:0, size:1300000 bytes) exceeds the limit", EventHubsException.FailureReason.MessageSizeExceeded)
            : null;
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Contains("too large", result.GetOutcome(2).Error, StringComparison.Ordinal);
        Assert.Equal(["c1", "c2", "c4"], _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer));
    }

    [Fact]
    public async Task Without_partition_keys_records_go_out_in_as_few_batches_as_fit_with_no_key()
    {
        var orders = Batches.Orders(7);
        _producer.MaxBatchBytes = (3 * EventSize(orders[0])) + 10;
        var sut = CreateSut(o => o.UsePartitionKey = false);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Equal([3, 3, 1], _producer.Sent.Select(b => b.Events.Count));
        Assert.All(_producer.Sent, b => Assert.Null(b.PartitionKey));
        Assert.Equal(orders.Select(o => $"order-submit:{o.Id}"), _producer.SentEvents.Select(e => e.Properties["idempotency-key"]));
    }

    public static TheoryData<string, RecordStatus, int?> Failures() => new()
    {
        { "busy", RecordStatus.TransientFailure, 4 },
        { "quota", RecordStatus.TransientFailure, 4 },
        { "service-timeout", RecordStatus.TransientFailure, null },
        { "communication", RecordStatus.TransientFailure, null },
        { "general-transient", RecordStatus.TransientFailure, null },
        { "general-not-transient", RecordStatus.TransientFailure, null },
        { "timeout", RecordStatus.TransientFailure, null },
        { "socket", RecordStatus.TransientFailure, null },
        { "closed", RecordStatus.TransientFailure, null },
        { "unauthorized", RecordStatus.PermanentFailure, null },
        { "not-found", RecordStatus.PermanentFailure, null },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_send_failure_of_a_whole_delivery_is_mapped_to_a_batch_outcome_and_busy_gets_the_fixed_hint(string failure, RecordStatus expected, int? retryAfterSeconds)
    {
        _producer.FailSend = (_, _) => Failure(failure);
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        Assert.Equal(expected, result.BatchStatus);
        Assert.Equal(retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null, result.RetryAfter);
        Assert.StartsWith("Event Hubs target 'events': a batch of 1 event(s) was not sent to event hub 'orders'", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failure_to_create_a_batch_is_mapped_like_a_failed_send(string failure, RecordStatus expected, int? retryAfterSeconds)
    {
        _producer.FailCreate = () => Failure(failure);
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(expected, result.BatchStatus);
        Assert.Equal(retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null, result.RetryAfter);
        Assert.StartsWith("Event Hubs target 'events': no batch could be created for event hub 'orders'", result.Error, StringComparison.Ordinal);
        Assert.Empty(_producer.Sent);
    }

    [Fact]
    public async Task A_failed_send_stops_the_delivery_so_no_later_event_of_a_key_goes_out_after_an_earlier_one_failed()
    {
        var orders = new[] { new Order("a", "a1", 1), new Order("b", "b1", 1), new Order("a", "a2", 2), new Order("b", "b2", 2), new Order("c", "c1", 1) };
        _producer.MaxBatchBytes = EventSize(orders[0]) + 1; // one event per batch
        _producer.FailSend = (batch, _) => batch.Events[0].EventBody.ToString().Contains("\"b1\"", StringComparison.Ordinal)
            ? new EventHubsException(true, "orders", "The request was terminated because the entity is being throttled.", EventHubsException.FailureReason.ServiceBusy)
            : null;
        var sut = CreateSut(o => o.MaxConcurrentSends = 1);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(
            [RecordStatus.Delivered, RecordStatus.TransientFailure, RecordStatus.Delivered, RecordStatus.TransientFailure, RecordStatus.TransientFailure],
            result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Equal(TimeSpan.FromSeconds(4), result.RetryAfter);
        Assert.Contains("ServiceBusy", result.GetOutcome(3).Error, StringComparison.Ordinal);
        Assert.Equal(["a1", "a2"], _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer));
    }

    [Fact]
    public async Task A_send_with_no_answer_within_the_send_timeout_is_a_transient_failure()
    {
        _producer.HoldSends = true;
        var sut = CreateSut(o => o.SendTimeout = TimeSpan.FromSeconds(30));

        var delivery = sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None).AsTask();
        await _producer.SendHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(30));
        var result = await delivery.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("timed out: no answer within 00:00:30", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_held_send_throws()
    {
        _producer.HoldSends = true;
        var sut = CreateSut();
        using var cts = new CancellationTokenSource();

        var delivery = sut.DeliverAsync(Batches.Of(Batches.Orders(2)), cts.Token).AsTask();
        await _producer.SendHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Records_that_cannot_be_serialized_or_whose_id_throws_fail_permanently_alone()
    {
        var sut = CreateSut();
        var records = new object[] { new Order("1001", "a", 1), new Unserializable("x", typeof(int)), new Order("boom", "b", 2), new Order("1002", "c", 3) };
        var batch = new DeliveryBatch<object>("order-submit", records, r => r switch
        {
            Order { Id: "boom" } => throw new InvalidOperationException("no id"),
            Order o => o.Id,
            Unserializable u => u.Id,
            _ => "",
        }, 0);

        var result = await sut.DeliverAsync(batch, CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.PermanentFailure, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Contains("cannot be serialized to JSON", result.GetOutcome(1).Error, StringComparison.Ordinal);
        Assert.Contains("record #3 of the batch cannot be made into an event: InvalidOperationException: no id", result.GetOutcome(2).Error, StringComparison.Ordinal);
        Assert.Equal(2, _producer.SentEvents.Count);
    }

    [Fact]
    public async Task An_outage_with_a_record_that_cannot_be_made_into_an_event_is_still_a_transient_failure_of_the_whole_batch()
    {
        _producer.FailSend = (_, _) => Failure("communication");
        var sut = CreateSut();
        var records = new object[] { new Order("1001", "a", 1), new Unserializable("x", typeof(int)) };

        var result = await sut.DeliverAsync(new DeliveryBatch<object>("order-submit", records, r => r switch { Order o => o.Id, Unserializable u => u.Id, _ => "" }, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
    }

    [Fact]
    public async Task Ids_longer_than_128_characters_are_hashed_to_a_stable_partition_key()
    {
        var longId = new string('7', 129);
        var sut = CreateSut();

        await sut.DeliverAsync(Batches.Of(new Order(longId, "a", 1), new Order(longId, "b", 2), new Order(new string('7', 128), "c", 3)), CancellationToken.None);

        var keys = _producer.Sent.Select(b => b.PartitionKey!).ToArray();
        Assert.Equal(2, keys.Length);
        Assert.Contains(new string('7', 128), keys);
        var hashed = Assert.Single(keys, k => k.StartsWith("sha256:", StringComparison.Ordinal));
        Assert.Equal(EventHubsTarget.PartitionKey(longId), hashed);
        Assert.Equal(7 + 64, hashed.Length);
    }

    [Fact]
    public async Task Disposing_the_target_disposes_its_client()
    {
        var sut = CreateSut();

        await sut.DisposeAsync();

        Assert.True(_producer.Disposed);
    }

    [Fact]
    public void Settings_are_validated_by_name_without_repeating_the_connection_string()
    {
        var cases = new (Action<EventHubsTargetOptions> Configure, string Expected)[]
        {
            (o => { }, "Event Hubs target 'events': set either ConnectionString or FullyQualifiedNamespace (with a Credential), not both and not neither."),
            (o => { o.ConnectionString = ConnectionString; o.FullyQualifiedNamespace = "x.servicebus.windows.net"; }, "not both and not neither"),
            (o => { o.FullyQualifiedNamespace = "x.servicebus.windows.net"; o.EventHubName = "orders"; }, "Event Hubs target 'events': Credential is required with FullyQualifiedNamespace."),
            (o => { o.FullyQualifiedNamespace = "sb://x.servicebus.windows.net/"; o.EventHubName = "orders"; }, "Event Hubs target 'events': FullyQualifiedNamespace must be a host name"),
            (o => o.ConnectionString = ConnectionString, "Event Hubs target 'events': EventHubName is required (or an EntityPath in the connection string)."),
            (o => { o.ConnectionString = ConnectionString; o.EventHubName = "-orders"; }, "Event Hubs target 'events': EventHubName must be 1 to 256 letters"),
            (o => { o.ConnectionString = ConnectionString + ";EntityPath=orders"; o.EventHubName = "returns"; }, "EventHubName 'returns' differs from the connection string's EntityPath"),
            (o => { o.ConnectionString = ConnectionString; o.EventHubName = "orders"; o.MaxConcurrentSends = 0; }, "Event Hubs target 'events': MaxConcurrentSends must be between 1 and 64 (was 0)."),
            (o => { o.ConnectionString = ConnectionString; o.EventHubName = "orders"; o.SendTimeout = TimeSpan.FromHours(2); }, "Event Hubs target 'events': SendTimeout must be between 00:00:01 and 01:00:00 (was 02:00:00)."),
        };

        foreach (var (configure, expected) in cases)
        {
            var options = new EventHubsTargetOptions();
            configure(options);
            var ex = Assert.Throws<OptionsValidationException>(() => new EventHubsTarget("events", options, _time, NullLogger.Instance));
            Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
            Assert.DoesNotContain(Key, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_is_created_from_a_connection_string_with_an_entity_path_without_connecting()
    {
        await using var sut = new EventHubsTarget("events", new EventHubsTargetOptions { ConnectionString = ConnectionString + ";EntityPath=orders" }, _time, NullLogger.Instance);

        Assert.Equal("orders", sut.EventHubName);
        Assert.Equal("events", sut.Name);
    }

    [Fact]
    public async Task A_client_is_created_from_a_namespace_and_a_credential_or_a_connection_string_whose_entity_path_matches()
    {
        await using var withCredential = new EventHubsTarget(
            "events",
            new EventHubsTargetOptions { FullyQualifiedNamespace = "my-namespace.servicebus.windows.net", Credential = new NoCredential(), EventHubName = "orders" },
            _time,
            NullLogger.Instance);
        await using var both = new EventHubsTarget("events", new EventHubsTargetOptions { ConnectionString = ConnectionString + ";EntityPath=orders", EventHubName = "orders" }, _time, NullLogger.Instance);

        Assert.Equal("orders", withCredential.EventHubName);
        Assert.Equal("orders", both.EventHubName);
    }

    [Fact]
    public void A_connection_string_the_client_rejects_fails_at_creation_naming_the_target_without_the_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new EventHubsTarget(
            "events",
            new EventHubsTargetOptions { ConnectionString = "SharedAccessKeyName=send;SharedAccessKey=" + Key, EventHubName = "orders" },
            _time,
            NullLogger.Instance));

        Assert.StartsWith("Event Hubs target 'events': ConnectionString is not a valid Event Hubs connection string", Assert.Single(ex.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(260)]
    [InlineData(280)]
    [InlineData(290)]
    public async Task A_key_straddling_the_cut_of_an_error_message_is_removed_whole_before_the_cut(int offset)
    {
        var message = new string('m', offset) + Key + " and more";
        _producer.FailSend = (batch, _) => batch.Events.Count == 1 && batch.Events[0].EventBody.ToString().Contains("\"big\"", StringComparison.Ordinal)
            ? new EventHubsException(false, "orders", message, EventHubsException.FailureReason.MessageSizeExceeded)
            : batch.PartitionKey == "1002" ? new UnauthorizedAccessException(message) : null;
        var sut = CreateSut(o => o.MaxConcurrentSends = 1);

        var result = await sut.DeliverAsync(Batches.Of(new Order("1001", "big", 1), new Order("1002", "b", 2)), CancellationToken.None);

        var leaked = Key[..(300 - offset)];
        Assert.Equal([RecordStatus.PermanentFailure, RecordStatus.PermanentFailure], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Contains("too large", result.GetOutcome(0).Error, StringComparison.Ordinal);
        Assert.Contains("not authorised", result.GetOutcome(1).Error, StringComparison.Ordinal);
        Assert.All(result.Outcomes.ToArray(), o => Assert.DoesNotContain(leaked, o.Error, StringComparison.Ordinal));
        Assert.All(result.Outcomes.ToArray(), o => Assert.Contains("***", o.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_the_service_rejects_a_batch_as_too_large_and_batches_hold_less_a_keys_events_still_go_out_in_order()
    {
        var orders = Enumerable.Range(1, 4).Select(i => new Order("same", $"c{i}", i)).ToArray();
        var size = EventSize(orders[0]);
        _producer.FailSend = (_, number) =>
        {
            if (number != 1)
            {
                return null;
            }

            _producer.MaxBatchBytes = size + 1; // from now on one event per batch
            return TooLargeFailure();
        };
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Equal(["c1", "c2", "c3", "c4"], _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer));
    }

    [Fact]
    public async Task After_a_too_large_rejection_an_event_that_fits_no_batch_any_more_fails_permanently_alone_without_endless_retries()
    {
        var orders = new[] { new Order("same", "a", 1), new Order("same", "b" + new string('x', 300), 2), new Order("same", "c", 3) };
        var creates = 0;
        _producer.FailCreate = () => Interlocked.Increment(ref creates) > 100 ? Failure("communication") : null;
        _producer.FailSend = (_, number) =>
        {
            if (number != 1)
            {
                return null;
            }

            _producer.MaxBatchBytes = EventSize(orders[0]) + 50; // the large event no longer fits an empty batch
            return TooLargeFailure();
        };
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.StartsWith("Event Hubs target 'events': record 'same' is too large for one event of event hub 'orders'", result.GetOutcome(1).Error, StringComparison.Ordinal);
        Assert.Equal(["a", "c"], _producer.SentEvents.Select(e => JsonSerializer.Deserialize<Order>(e.EventBody.ToMemory().Span, JsonSerializerOptions.Web)!.Customer[..1]));
        Assert.True(creates < 10, $"{creates} batches were created");
    }

    [Theory]
    [InlineData("unavailable", RecordStatus.PermanentFailure, "the credential gave no token (unavailable)")]
    [InlineData("authentication-failed", RecordStatus.TransientFailure, "the credential gave no token: AuthenticationFailedException")]
    [InlineData("other", RecordStatus.TransientFailure, "the credential gave no token: InvalidOperationException")]
    public async Task A_credential_that_fails_to_give_a_token_is_mapped_to_an_outcome_and_other_keys_keep_their_delivered_outcomes(string failure, RecordStatus expected, string reason)
    {
        var calls = 0;
        var credential = new ThrowingCredential(() => Interlocked.Increment(ref calls) <= 2
            ? null
            : failure switch
            {
                "unavailable" => new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable.\r\nsecond line " + Key),
                "authentication-failed" => new AuthenticationFailedException("AADSTS7000215: Invalid client secret provided.\nsecond line " + Key),
                _ => new InvalidOperationException("The token cache is broken.\nsecond line " + Key),
            });
        var options = new EventHubsTargetOptions { FullyQualifiedNamespace = "my-namespace.servicebus.windows.net", Credential = credential, EventHubName = "orders", MaxConcurrentSends = 1 };
        var sut = new EventHubsTarget("events", options, c => { _producer.Credential = c; return _producer; }, _time, NullLogger.Instance);

        var result = await sut.DeliverAsync(Batches.Of(new Order("a", "a1", 1), new Order("b", "b1", 1), new Order("c", "c1", 1)), CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, expected, expected], result.Outcomes.ToArray().Select(o => o.Status));
        var error = result.GetOutcome(1).Error!;
        Assert.StartsWith("Event Hubs target 'events': no batch could be created for event hub 'orders': " + reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain("second line", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_unavailable_from_the_start_is_a_permanent_failure_of_the_whole_batch()
    {
        var credential = new ThrowingCredential(() => new CredentialUnavailableException("EnvironmentCredential authentication unavailable."));
        var options = new EventHubsTargetOptions { FullyQualifiedNamespace = "my-namespace.servicebus.windows.net", Credential = credential, EventHubName = "orders" };
        var sut = new EventHubsTarget("events", options, c => { _producer.Credential = c; return _producer; }, _time, NullLogger.Instance);

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("EnvironmentCredential authentication unavailable.", result.Error, StringComparison.Ordinal);
        Assert.Empty(_producer.Sent);
    }

    private static EventHubsException TooLargeFailure() =>
        new(false, "orders", "The received message (delivery-id:0, size:1300000 bytes) exceeds the limit", EventHubsException.FailureReason.MessageSizeExceeded);

    internal static Exception Failure(string name) => name switch
    {
        "busy" => new EventHubsException(true, "orders", "The request was terminated because the entity is being throttled. " + ConnectionString, EventHubsException.FailureReason.ServiceBusy),
        "quota" => new EventHubsException(false, "orders", "Quota exceeded.", EventHubsException.FailureReason.QuotaExceeded),
        "service-timeout" => new EventHubsException(true, "orders", "The operation did not complete in time.", EventHubsException.FailureReason.ServiceTimeout),
        "communication" => new EventHubsException(true, "orders", "No such host is known.\r\nline two", EventHubsException.FailureReason.ServiceCommunicationProblem),
        "general-transient" => new EventHubsException(true, "orders", "Something went wrong.", EventHubsException.FailureReason.GeneralError),
        "general-not-transient" => new EventHubsException(false, "orders", "Something else went wrong.", EventHubsException.FailureReason.GeneralError),
        "timeout" => new TimeoutException("The operation timed out."),
        "socket" => new SocketException((int)SocketError.ConnectionReset),
        "closed" => new EventHubsException(false, "orders", "The producer was closed.", EventHubsException.FailureReason.ClientClosed),
        "unauthorized" => new UnauthorizedAccessException("Unauthorized access. 'Send' claim(s) are required to perform this operation. SharedAccessKey=" + Key),
        "not-found" => new EventHubsException(false, "orders", "The messaging entity 'sb://my-namespace.servicebus.windows.net/orders' could not be found.", EventHubsException.FailureReason.ResourceNotFound),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private sealed class NoCredential : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>A credential that gives a token or throws what <c>failure</c> returns.</summary>
    private sealed class ThrowingCredential(Func<Exception?> failure) : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => failure() is { } ex ? throw ex : new Azure.Core.AccessToken("token", DateTimeOffset.MaxValue);

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
            => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Stands in for Azure.Identity's exception of the same name (which derives from its <c>AuthenticationFailedException</c>).</summary>
    private class AuthenticationFailedException(string message) : Exception(message);

    /// <summary>Stands in for Azure.Identity's exception: the credential cannot work in this environment.</summary>
    private sealed class CredentialUnavailableException(string message) : AuthenticationFailedException(message);

    private static long EventSize(Order order) =>
        Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(order, JsonSerializerOptions.Web))
        + "idempotency-key".Length + $"order-submit:{order.Id}".Length + "job".Length + "order-submit".Length;

    private static DeliveryBatch<EntityChange> Changes(EntityChange[] changes) => new("categories", changes, c => c.RecordId, 0);

    private EventHubsTarget CreateSut(Action<EventHubsTargetOptions>? configure = null)
    {
        var options = new EventHubsTargetOptions { ConnectionString = ConnectionString, EventHubName = "orders" };
        configure?.Invoke(options);
        return new EventHubsTarget("events", options, _producer, _time, NullLogger.Instance);
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Entity-sync state in PostgreSQL behaves as the in-memory reference store does: the same random sequences of adds,
/// claims settled as delivered or failed, and clears (a fixed seed each) leave the same held changes and delivered versions in both.
/// (The shared contract suite gets its entity-sync cases from the entity-sync work; this checks the store against the spec meanwhile.)
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlEntitySyncTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly string[] Types = ["categories", "Categories", "buyers"];
    private static readonly string[] Targets = ["search", "ERP", "erp"];
    private static readonly string[] Ids = ["c1", "c2", "C1", "c3"];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("entity_sync");

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Random_operations_leave_the_same_state_as_the_reference_store(int seed)
    {
        await using var postgres = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = $"sync_{seed}" });
        using var services = new ServiceCollection().AddCommerceJobs(_ => { }).BuildServiceProvider();
        var reference = services.GetRequiredService<IJobStore>();
        var random = new Random(seed);

        for (var step = 0; step < 150; step++)
        {
            var roll = random.Next(100);
            var changes = Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomChange(random)).ToList();
            var target = Targets[random.Next(Targets.Length)];
            var targets = Targets.Where(_ => random.Next(2) == 0).DefaultIfEmpty(target).ToList();
            var clearType = Types[random.Next(Types.Length)];
            var clearTarget = random.Next(2) == 0 ? null : target;
            Func<IJobStore, ValueTask<int>> operation = roll switch
            {
                < 50 => s => s.AddEntityChangesAsync(targets, changes, repair: false, default),
                < 75 => s => SettleAsync(s, target, changes, RecordStatus.Delivered),
                < 95 => s => SettleAsync(s, target, changes, RecordStatus.PermanentFailure),
                _ => async s =>
                {
                    await s.ClearEntitySyncAsync(clearType, clearTarget, default);
                    return 0;
                },
            };

            // The same random draws for both stores: drawn above, captured by the operation (an add's count included).
            Assert.Equal(await operation(reference), await operation(postgres));

            foreach (var type in Types.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                foreach (var t in Targets.Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    var because = $"seed {seed}, step {step}, {type} → {t}";
                    var expected = string.Join("; ", Describe(await reference.GetEntityChangesAsync(type, t, default)));
                    var actual = string.Join("; ", Describe(await postgres.GetEntityChangesAsync(type, t.ToUpperInvariant(), default)));
                    Assert.True(expected == actual, $"{because}: expected [{expected}] but was [{actual}]");
                    Assert.Equal(
                        (await reference.GetDeliveredEntityVersionsAsync(type, t, default)).OrderBy(p => p.Key, StringComparer.Ordinal),
                        (await postgres.GetDeliveredEntityVersionsAsync(type.ToUpperInvariant(), t, default)).OrderBy(p => p.Key, StringComparer.Ordinal));
                }
            }
        }
    }

    /// <summary>Claims every held change of the changes' types at the target, settles the changes with a status, releases the rest.</summary>
    private static async ValueTask<int> SettleAsync(IJobStore store, string target, IReadOnlyList<EntityChange> changes, RecordStatus status)
    {
        var claimed = 0;
        foreach (var group in changes.GroupBy(c => c.EntityType, StringComparer.OrdinalIgnoreCase))
        {
            var held = await store.ClaimEntityChangesAsync(group.Key, target, new EntityChangeClaim("settler", 1000, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(1)), default);
            // One completion per id, as a lane completes what it claimed (the first of the list for each id).
            var completions = group.DistinctBy(c => c.Id, StringComparer.Ordinal).Select(c => new EntityChangeCompletion(c, status, "error")).ToList();
            await store.CompleteEntityChangesAsync(group.Key, target, "settler", completions, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
            await store.CompleteEntityChangesAsync(group.Key, target, "settler", [.. held.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.TransientFailure))], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
            claimed += held.Count;
        }

        return claimed;
    }

    [Fact]
    public async Task Payloads_come_back_as_json()
    {
        await using var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "payloads" });
        await store.AddEntityChangesAsync(["search"], [EntityChange.Upsert("categories", "c1", new { Name = "Shoes", Parent = (string?)null }, 3), EntityChange.Delete("categories", "c2", 9)], repair: false, default);

        var held = (await store.GetEntityChangesAsync("categories", "search", default)).OrderBy(c => c.Id).ToList();
        var payload = Assert.IsType<JsonElement>(held[0].Payload);
        Assert.Equal("Shoes", payload.GetProperty("name").GetString());
        Assert.Equal((EntityChangeKind.Delete, "c2", 9L, (object?)null), (held[1].Kind, held[1].Id, held[1].Version, held[1].Payload));
    }

    private static EntityChange RandomChange(Random random)
    {
        var type = Types[random.Next(Types.Length)];
        var id = Ids[random.Next(Ids.Length)];
        var version = random.Next(1, 12);
        return random.Next(3) == 0
            ? EntityChange.Delete(type, id, version)
            : EntityChange.Upsert(type, id, new { id, version, label = $"v{version.ToString(CultureInfo.InvariantCulture)}" }, version);
    }

    private static IEnumerable<string> Describe(IReadOnlyList<EntityChange> changes) => changes
        .Select(c => $"{c.EntityType}|{c.Id}|{c.Kind}|{c.Version}|{Canonical(c.Payload)}")
        .Order(StringComparer.Ordinal);

    private static string Canonical(object? payload)
    {
        if (payload is null)
        {
            return "null";
        }

        var node = JsonSerializer.SerializeToNode(payload, payload.GetType(), JsonSerializerOptions.Web);
        return node is JsonObject obj ? new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString() : node!.ToJsonString();
    }
}

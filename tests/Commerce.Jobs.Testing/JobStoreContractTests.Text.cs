using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The text part of the store contract: every text a store takes (ids, keys, errors, log lines, names, owners,
/// checkpoints, configurations) comes from outside, so it may hold anything a .NET string can — NUL, lone surrogates,
/// line breaks, non-ASCII, private-use characters (an escaping store's own escape), a megabyte — and reads back equal.
/// </summary>
public abstract partial class JobStoreContractTests
{
    /// <summary>Texts for value columns (errors, log lines, record ids, idempotency keys, checkpoints), the empty and a megabyte one included.</summary>
    public static readonly IReadOnlyList<string> HostileTexts = [.. HostileKeysCore(), string.Empty, OneMegabyte()];

    /// <summary>Short, non-empty texts for names and keys (job names, entity types, targets, owners; ids too, see <see cref="HostileIds"/>), distinct ignoring case.</summary>
    public static readonly IReadOnlyList<string> HostileKeys = [.. HostileKeysCore(), string.Concat(Enumerable.Repeat("k\0\uD800é\uE000\r\n", 60))];

    /// <summary>Huge ids from outside: 10,000 and 100,000 random characters (incompressible, far over any index entry limit).</summary>
    public static readonly IReadOnlyList<string> HugeIds = [RandomText(10_000, seed: 10_000), RandomText(100_000, seed: 100_000)];

    /// <summary>Record and entity ids (looked up, not only kept): the hostile keys and the huge ids.</summary>
    public static readonly IReadOnlyList<string> HostileIds = [.. HostileKeys, .. HugeIds];

    [Fact]
    public async Task Runs_keep_any_text_as_written()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < HostileTexts.Count; i++)
        {
            var run = new JobRun
            {
                RunId = Guid.NewGuid(),
                JobName = $"text-{i}",
                Trigger = TriggerKind.Manual,
                StartedAt = T0,
                EndedAt = T0.AddSeconds(1),
                Outcome = JobOutcome.Failed,
                HostName = HostileKeys[i % HostileKeys.Count],
                Error = HostileTexts[i],
                Log = [new JobLogEntry(T0, JobLogLevel.Error, HostileTexts[i]), new JobLogEntry(T0, JobLogLevel.Information, HostileKeys[i % HostileKeys.Count])],
            };
            await store.AddRunAsync(run, default);
        }

        for (var i = 0; i < HostileTexts.Count; i++)
        {
            var run = Assert.Single(await store.GetRunsAsync($"text-{i}", 10, default));
            AssertSameText(HostileKeys[i % HostileKeys.Count], run.HostName);
            AssertSameText(HostileTexts[i], run.Error);
            Assert.Equal(2, run.Log.Count);
            AssertSameText(HostileTexts[i], run.Log[0].Message);
            AssertSameText(HostileKeys[i % HostileKeys.Count], run.Log[1].Message);
        }

        // Job names from outside: each is its own history, found and purged by its name.
        foreach (var job in HostileKeys)
        {
            await store.AddRunAsync(Run(job, T0, JobOutcome.Succeeded), default);
        }

        foreach (var job in HostileKeys)
        {
            AssertSameText(job, Assert.Single(await store.GetRunsAsync(job, 10, default)).JobName);
        }

        Assert.Equal(1, await store.PurgeRunsAsync(HostileKeys[0], keepLast: 0, endedBefore: T0, default));
        Assert.Empty(await store.GetRunsAsync(HostileKeys[0], 10, default));
        Assert.Single(await store.GetRunsAsync(HostileKeys[1], 10, default));
    }

    [Fact]
    public async Task Record_failures_keep_any_id_and_error_as_written()
    {
        var store = await CreateStoreAsync();
        foreach (var job in new[] { "order-submit", HostileKeys[0], HostileKeys[^1] })
        {
            var failures = HostileIds.Select((id, i) => new RecordFailure(id, RecordStatus.Skipped, HostileTexts[i % HostileTexts.Count], 0, T0)).ToList();
            await store.AddRecordFailuresAsync(job, failures, default);
            await store.AddRecordFailuresAsync(job, [new RecordFailure(HostileIds[1], RecordStatus.PermanentFailure, HostileTexts[^1], 0, T0.AddMinutes(1))], default);
            await store.AddRecordFailuresAsync(job, [new RecordFailure(HugeIds[^1], RecordStatus.PermanentFailure, "again", 0, T0.AddMinutes(1))], default);

            var stored = (await store.GetRecordFailuresAsync(job, default)).ToDictionary(f => f.RecordId, StringComparer.Ordinal);
            Assert.Equal(HostileIds.Count, stored.Count);
            for (var i = 0; i < HostileIds.Count; i++)
            {
                var failure = stored[HostileIds[i]];
                var again = i == 1 || i == HostileIds.Count - 1;
                AssertSameText(i == 1 ? HostileTexts[^1] : i == HostileIds.Count - 1 ? "again" : HostileTexts[i % HostileTexts.Count], failure.Error);
                Assert.Equal(again ? 2 : 1, failure.Attempts);
            }

            // Looked up by the same ids: the delivered ones are forgotten, the others stay.
            await store.RemoveRecordFailuresAsync(job, [.. HostileIds.Where((_, i) => i % 2 == 0)], default);
            var left = (await store.GetRecordFailuresAsync(job, default)).Select(f => f.RecordId).Order(StringComparer.Ordinal);
            Assert.Equal(HostileIds.Where((_, i) => i % 2 == 1).Order(StringComparer.Ordinal), left);
        }
    }

    [Fact]
    public async Task Inbox_keeps_any_id_key_owner_and_error_as_written()
    {
        var store = await CreateStoreAsync();
        var job = HostileKeys[2];
        var owner = HostileKeys[^1];
        var ids = HostileTexts.Concat(HugeIds).ToList();
        var records = ids.Select((text, i) => new PendingRecord(text, ids[ids.Count - 1 - i], Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"))).ToList();
        await store.EnqueueRecordsAsync(job, records, default);
        Assert.Equal(records.Count, await store.CountPendingRecordsAsync(job, default));

        var claimed = await store.ClaimRecordsAsync(job, new RecordClaim(owner, 1000, T0, T0.AddMinutes(5)), default);
        Assert.Equal(records.Count, claimed.Count);
        for (var i = 0; i < records.Count; i++)
        {
            AssertSameText(records[i].RecordId, claimed[i].RecordId);
            AssertSameText(records[i].IdempotencyKey, claimed[i].IdempotencyKey);
            Assert.Equal(records[i].Payload, claimed[i].Payload);
        }

        Assert.Equal(records.Count, await store.RenewLeasesAsync(job, owner, T0.AddMinutes(6), default));
        await store.CompleteRecordsAsync(job, owner,
            [.. claimed.Select((r, i) => new RecordCompletion(r.Sequence, i % 2 == 0 ? RecordStatus.Skipped : RecordStatus.PermanentFailure, ids[i]))], default);

        var again = await store.ClaimRecordsAsync(job, new RecordClaim(owner, 1000, T0, T0.AddMinutes(5), IncludeFailed: true), default);
        Assert.Equal(records.Count, again.Count);
        for (var i = 0; i < records.Count; i++)
        {
            AssertSameText(records[i].RecordId, again[i].RecordId);
            AssertSameText(ids[i], again[i].LastError);
            Assert.Equal(1, again[i].Attempts);
        }
    }

    [Fact]
    public async Task Checkpoints_and_occurrences_keep_any_name_and_value_as_written()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < HostileKeys.Count; i++)
        {
            var job = HostileKeys[i];
            await store.SetCheckpointAsync(job, HostileTexts[i], default);
            Assert.True(await store.TryClaimOccurrenceAsync(job, T0, HostileKeys[^1], default));
            Assert.False(await store.TryClaimOccurrenceAsync(job, T0, "other-host", default));
        }

        await store.SetCheckpointAsync("large", HostileTexts[^1], default);
        AssertSameText(HostileTexts[^1], await store.GetCheckpointAsync("large", default));
        for (var i = 0; i < HostileKeys.Count; i++)
        {
            AssertSameText(HostileTexts[i], await store.GetCheckpointAsync(HostileKeys[i], default));
        }
    }

    [Fact]
    public async Task Entity_sync_keeps_any_type_target_and_id_as_written()
    {
        var store = await CreateStoreAsync();
        var type = HostileKeys[4];
        var targets = new[] { HostileKeys[1], HostileKeys[^1] };
        var payloadText = "nul\0 and Grüße 😀 \uE000 \r\n";
        await store.AddEntityChangesAsync(targets, [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, payloadText, i + 1))], None);
        await store.AddEntityChangesAsync(targets, [EntityChange.Delete(type, HostileIds[3], 100)], None);

        foreach (var target in targets)
        {
            var held = await store.GetEntityChangesAsync(type, target, None);
            Assert.All(held, c => AssertSameText(type, c.EntityType));
            Assert.Equal(
                HostileIds.Select((id, i) => (id, EntityChangeKind.Upsert, (long)i + 1)).Where(c => c.id != HostileIds[3]).Append((HostileIds[3], EntityChangeKind.Delete, 100L)).OrderBy(c => c.Item1, StringComparer.Ordinal).ThenBy(c => c.Item2),
                held.Select(c => (c.Id, c.Kind, c.Version)).OrderBy(c => c.Id, StringComparer.Ordinal).ThenBy(c => c.Kind));
            Assert.All(held.Where(c => c.Kind == EntityChangeKind.Upsert), c => AssertSameText(payloadText, PayloadText(c.Payload)));
        }

        // Settled by the same ids: delivered versions are kept under them, held changes are forgotten.
        await store.MarkEntityChangesDeliveredAsync(targets[0], [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, null, i + 1))], None);
        await store.RemoveEntityChangesAsync(targets[1], [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, null, i + 1)).Where((_, i) => i < 2 || i >= HostileIds.Count - 2)], None);
        Assert.Equal([(HostileIds[3], EntityChangeKind.Delete)], (await store.GetEntityChangesAsync(type, targets[0], None)).Select(c => (c.Id, c.Kind)));
        Assert.Equal(HostileIds.Count - 4, (await store.GetEntityChangesAsync(type, targets[1], None)).Count);
        var delivered = await store.GetDeliveredEntityVersionsAsync(type, targets[0], None);
        Assert.Equal(HostileIds.Select((id, i) => KeyValuePair.Create(id, (long)i + 1)).OrderBy(d => d.Key, StringComparer.Ordinal), delivered.OrderBy(d => d.Key, StringComparer.Ordinal));

        await store.ClearEntitySyncAsync(type, targets[1], None);
        Assert.Empty(await store.GetEntityChangesAsync(type, targets[1], None));
        Assert.Single(await store.GetEntityChangesAsync(type, targets[0], None));
    }

    [Property(MaxTest = 40)]
    public Property Any_generated_text_reads_back_as_written() =>
        Prop.ForAll(HostileStrings, text => Task.Run(() => ReadsBackAsWritten(text)).GetAwaiter().GetResult());

    /// <summary>Strings with the characters a store may not hold weighted in: NUL, lone and paired surrogates, private-use, CR/LF, hex digits.</summary>
    public static Arbitrary<string> HostileStrings { get; } =
        (from n in Gen.Choose(0, 24)
         from chars in Gen.ArrayOf(Gen.Frequency(
             (4, Gen.Choose(' ', '~').Select(c => (char)c)),
             (2, Gen.Elements("0123456789ABCDEFabcdef".ToCharArray())),
             (1, Gen.Constant('\0')),
             (1, Gen.Elements('\r', '\n', '\t', '\u001f', '\u007f')),
             (1, Gen.Choose(0xD800, 0xDFFF).Select(c => (char)c)),
             (1, Gen.Elements('\uE000', '\uE001', '\uF8FF', '\uFFFD', '\uFFFF')),
             (1, Gen.Elements('é', 'ß', '東', '\u00A0', '\u2028'))), n)
         select new string(chars)).ToArbitrary();

    private IJobStore? _propertyStore;
    private int _propertyCase;

    private bool ReadsBackAsWritten(string text)
    {
        var store = _propertyStore ??= CreateStoreAsync().GetAwaiter().GetResult();
        var job = $"property-{Interlocked.Increment(ref _propertyCase)}";
        store.AddRecordFailuresAsync(job, [new RecordFailure(text, RecordStatus.Skipped, text, 0, T0)], None).AsTask().GetAwaiter().GetResult();
        var failure = Assert.Single(store.GetRecordFailuresAsync(job, None).AsTask().GetAwaiter().GetResult());
        store.SetCheckpointAsync(job, text, None).AsTask().GetAwaiter().GetResult();
        return failure.RecordId == text && failure.Error == text && store.GetCheckpointAsync(job, None).AsTask().GetAwaiter().GetResult() == text;
    }

    private static string? PayloadText(object? payload) => payload switch
    {
        JsonElement element => element.GetString(),
        _ => payload as string,
    };

    /// <summary>Ordinal equality, with a message that shows where two texts (maybe a megabyte long) part.</summary>
    private static void AssertSameText(string? expected, string? actual)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal))
        {
            return;
        }

        var at = 0;
        while (expected is not null && actual is not null && at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at])
        {
            at++;
        }

        Assert.Fail($"Text read back differs at index {at} (lengths {expected?.Length.ToString() ?? "null"} and {actual?.Length.ToString() ?? "null"}): expected {Show(expected, at)}, read {Show(actual, at)}.");
    }

    private static string Show(string? text, int at) => text is null
        ? "null"
        : string.Concat(text.AsSpan(Math.Max(0, at - 8), Math.Min(text.Length, at + 8) - Math.Max(0, at - 8)).ToArray().Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));

    private static IEnumerable<string> HostileKeysCore() =>
    [
        "plain",
        "nul\0inside",
        "\0",
        "\0\0trailing\0",
        "high\uD800alone",
        "\uD800",
        "low\uDC00alone",
        "\uDC00",
        "reversed\uDC00\uD800",
        "lone then pair \uD800\uD83D\uDE00",
        "cr\rlf\ncrlf\r\n",
        "tab\tbell\u0007esc\u001bdel\u007f",
        "Grüße, 東京 – 😀",
        "\uE000",
        "\uE0000000",
        "\uE000D800",
        "\uE000E000",
        "\uE000\uE000\uE001\uF8FF",
        "\\u0000 \\ud800 \"quoted\" 'single' %_",
        "\uFFFD\uFFFE\uFFFF",
    ];

    /// <summary>Random UTF-16 code units from a seeded <see cref="Random"/> over the whole BMP (lone surrogates and NUL included).</summary>
    private static string RandomText(int length, int seed)
    {
        var random = new Random(seed);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)random.Next(0, 0x10000);
        }

        return new string(chars);
    }

    private static string OneMegabyte()
    {
        var text = new StringBuilder(1 << 20);
        while (text.Length < (1 << 20) - 32)
        {
            text.Append("error \0 \uD800 \uDC00 é 東 😀 \r\n \uE000 ");
        }

        return text.ToString();
    }
}

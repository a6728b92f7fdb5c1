using System.Text;
using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Jobs.Testing;

/// <summary>
/// What the store contract suites share: a fixed start time, sample runs and records, and hostile texts. Every text a
/// store takes (ids, keys, errors, log lines, names, owners, checkpoints, configurations) comes from outside, so it may
/// hold anything a .NET string can — NUL, lone surrogates, line breaks, non-ASCII, private-use characters (an escaping
/// store's own escape), a megabyte — and reads back equal.
/// </summary>
public static class StoreTestData
{
    /// <summary>The suites' fixed start time.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>No cancellation.</summary>
    public static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Texts for value columns (errors, log lines, record ids, idempotency keys, checkpoints), the empty and a megabyte one included.</summary>
    public static readonly IReadOnlyList<string> HostileTexts = [.. HostileKeysCore(), string.Empty, OneMegabyte()];

    /// <summary>Short, non-empty texts for names and keys (job names, entity types, targets, owners; ids too, see <see cref="HostileIds"/>), distinct ignoring case.</summary>
    public static readonly IReadOnlyList<string> HostileKeys = [.. HostileKeysCore(), string.Concat(Enumerable.Repeat("k\0\uD800é\uE000\r\n", 60))];

    /// <summary>Huge ids from outside: 10,000 and 100,000 random characters (incompressible, far over any index entry limit).</summary>
    public static readonly IReadOnlyList<string> HugeIds = [RandomText(10_000, seed: 10_000), RandomText(100_000, seed: 100_000)];

    /// <summary>Record and entity ids (looked up, not only kept): the hostile keys and the huge ids.</summary>
    public static readonly IReadOnlyList<string> HostileIds = [.. HostileKeys, .. HugeIds];

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

    /// <summary>A pending record of <c>order-submit</c> with a small JSON payload.</summary>
    public static PendingRecord Pending(string id) => new(id, $"order-submit:{id}", Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\"}}"));

    /// <summary>A finished run with counts, an error when it failed, and one log line.</summary>
    public static JobRun Run(string job, DateTimeOffset start, JobOutcome outcome) => new()
    {
        RunId = Guid.CreateVersion7(start),
        JobName = job,
        Trigger = TriggerKind.Automatic,
        HostName = "web-01",
        StartedAt = start,
        EndedAt = start.AddSeconds(2),
        Outcome = outcome,
        Counts = new RecordCounts(10, 7, 2, 1),
        Error = outcome == JobOutcome.Failed ? "ERP busy" : null,
        Log = [new JobLogEntry(start, JobLogLevel.Warning, "Record SO1 skipped: ERP busy")],
    };

    /// <summary>Ordinal equality, with a message that shows where two texts (maybe a megabyte long) part.</summary>
    public static void AssertSameText(string? expected, string? actual)
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

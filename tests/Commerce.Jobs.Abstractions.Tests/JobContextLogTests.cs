using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Abstractions.Tests;

/// <summary>A run's log under concurrent writers, its snapshot, and the caps on what it keeps.</summary>
public sealed class JobContextLogTests
{
    [Fact]
    public async Task Log_from_eight_threads_loses_no_line_keeps_the_limit_and_counts_the_rest()
    {
        // Repeated: the lost lines came from a race on the first line, so every round starts with a fresh context.
        for (var round = 0; round < 50; round++)
        {
            var context = CreateContext();
            using var start = new Barrier(8);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < 1_000; i++)
                {
                    context.Log(JobLogLevel.Information, $"thread {t} line {i}");
                }
            })));

            Assert.Equal(JobContext.MaxLogLines, context.LogEntries.Count);
            Assert.Equal(8_000 - JobContext.MaxLogLines, context.DroppedLogLines);
            Assert.Equal(context.LogEntries.Count, context.LogEntries.Select(l => l.Message).Distinct().Count());
        }
    }

    [Fact]
    public void LogEntries_is_a_snapshot_that_later_lines_do_not_change()
    {
        var context = CreateContext();
        context.Log(JobLogLevel.Information, "first");
        var snapshot = context.LogEntries;

        context.Log(JobLogLevel.Information, "second");

        Assert.Equal("first", Assert.Single(snapshot).Message);
        Assert.Equal(2, context.LogEntries.Count);
    }

    [Fact]
    public void A_log_line_longer_than_the_cap_is_kept_cut_with_a_marker()
    {
        var context = CreateContext();
        context.Log(JobLogLevel.Error, new string('x', 100_000));
        context.Log(JobLogLevel.Error, "short");

        var line = context.LogEntries[0].Message;
        Assert.Equal(OutsideText.MaxLogLineLength, line.Length);
        Assert.EndsWith("… (truncated, 100000 chars)", line, StringComparison.Ordinal);
        Assert.Equal("short", context.LogEntries[1].Message);
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(HostileText)])]
    public bool Cap_keeps_a_text_within_the_limit_without_NUL_or_lone_surrogates_and_leaves_safe_short_text_alone(string text, int max)
    {
        var capped = OutsideText.Cap(text, max)!;
        var safe = !text.Contains('\0', StringComparison.Ordinal) && IsWellFormed(text);
        return capped.Length <= max
            && !capped.Contains('\0', StringComparison.Ordinal)
            && IsWellFormed(capped)
            && (text.Length <= max && safe ? ReferenceEquals(capped, text) : true)
            && (text.Length <= max || capped.Contains($"(truncated, {text.Length} chars)", StringComparison.Ordinal))
            && (text.Length > max || capped.Length == text.Length);
    }

    [Fact]
    public void Cap_of_null_is_null_and_the_default_is_the_error_cap()
    {
        Assert.Null(OutsideText.Cap(null));
        Assert.Equal(OutsideText.MaxErrorLength, OutsideText.Cap(new string('e', 50_000))!.Length);
        Assert.Equal("a\uFFFDb\uFFFD", OutsideText.Cap("a\0b\uDC00"));
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static JobContext CreateContext()
        => new("order-export", Guid.NewGuid(), TriggerKind.Manual, null, new EmptyServices(), new FakeTimeProvider());

    /// <summary>Texts from outside: control characters, non-ASCII, surrogate pairs and lone halves, empty and huge; limits from tiny to large.</summary>
    public static class HostileText
    {
        public static Arbitrary<string> Texts()
        {
            var pieces = Gen.Elements("\0", "\r\n", "\n", "\t", "\u001B", "é", "ß", "中文", "😀", "\uD83D", "\uDE00", "a", "order-4711", " ", "\u2028");
            var text = Gen.Sized(size => Gen.Choose(0, size * 40).SelectMany(n => Gen.ArrayOf(pieces, n)).Select(string.Concat));
            return Gen.OneOf(text, Gen.Choose(0, 20_000).Select(n => new string('x', n) + "😀")).ToArbitrary();
        }

        public static Arbitrary<int> Limits() => Gen.Choose(64, 9_000).ToArbitrary();
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

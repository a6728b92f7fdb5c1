using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Abstractions.Tests.Records;

[Properties(Replay = HostileIds.PropertySeed)]
public sealed class NameSegmentTests
{
    private static readonly string[] DeviceNames = ["CON", "PRN", "AUX", "NUL", .. Enumerable.Range(0, 10).SelectMany(i => new[] { $"COM{i}", $"LPT{i}" })];

    private static readonly Arbitrary<string> Names = HostileIds.Id.Where(s => s.Length > 0).ToArbitrary();

    private static readonly Arbitrary<(string A, string B)> Pairs = HostileIds.Pair.Where(p => p.A.Length > 0 && p.B.Length > 0).ToArbitrary();

    [Property(MaxTest = 2_000)]
    public Property Create_is_a_safe_file_and_blob_name_segment_on_Linux_and_Windows() => Prop.ForAll(Names, name =>
    {
        var segment = NameSegment.Create(name);
        var stem = segment.Split('.')[0];
        return segment.Length is > 0 and <= NameSegment.MaxLength
            && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '%')
            && segment[0] != '.' && segment[^1] != '.' && !segment.Contains("..", StringComparison.Ordinal)
            && !DeviceNames.Contains(stem, StringComparer.OrdinalIgnoreCase)
            && segment.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;
    });

    [Property(MaxTest = 2_000)]
    public Property Create_gives_distinct_names_distinct_segments() => Prop.ForAll(Pairs, p =>
        (p.A == p.B) == (NameSegment.Create(p.A) == NameSegment.Create(p.B)));

    [Theory]
    [InlineData("order-export", "order-export")]
    [InlineData("stock.v2", "stock.v2")]
    [InlineData("../etc/passwd", "%2E%2E%2Fetc%2Fpasswd")]
    [InlineData("a..b...", "a.%2Eb.%2E%2E")]
    [InlineData("..", "%2E%2E")]
    [InlineData(".", "%2E")]
    [InlineData("a\\b:c", "a%5Cb%3Ac")]
    [InlineData("con", "%63on")]
    [InlineData("NUL.txt", "%4EUL.txt")]
    [InlineData("Kategorien Ü", "Kategorien%20%C3%9C")]
    [InlineData("100%", "100%25")]
    public void Create_encodes_as_documented(string name, string expected) => Assert.Equal(expected, NameSegment.Create(name));

    [Fact]
    public void Create_hashes_a_long_name_and_refuses_an_empty_one()
    {
        Assert.Equal(new string('j', 100), NameSegment.Create(new string('j', 100)));
        Assert.Matches("^[0-9a-f]{64}$", NameSegment.Create(new string('j', 101)));
        Assert.Throws<ArgumentException>(() => NameSegment.Create(string.Empty));
    }
}

using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Jobs.Abstractions.Tests.Records;

/// <summary>Ids as they come from outside: control characters (CR, LF, NUL), <c>%</c> and <c>:</c>, non-ASCII, pairs and lone surrogates, empty and huge.</summary>
internal static class HostileIds
{
    public const string PropertySeed = "(20261207,20261207)";

    private static readonly Gen<char> Char = Gen.Frequency(
        (6, Gen.Choose(0x21, 0x7E).Select(i => (char)i)),
        (2, Gen.Elements('\r', '\n', '\0', '\t', ' ', '\u007F', '\u0085', '\u2028', '%', ':', '/', '\\', '.')),
        (1, Gen.Choose(0x00, 0x1F).Select(i => (char)i)),
        (2, Gen.Elements('ü', 'é', 'ß', '中', '\u00A0', '\uFEFF', '\uFFFD', '\uFFFF')),
        (1, Gen.Choose(0xD800, 0xDFFF).Select(i => (char)i)),
        (1, Gen.Choose(0x80, 0xFFFF).Select(i => (char)i)));

    private static readonly Gen<string> Short = Gen.Choose(0, 40).SelectMany(n => Char.ArrayOf(n)).Select(c => new string(c));

    private static readonly Gen<string> Long = Gen.Choose(60, 400).SelectMany(n => Char.ArrayOf(n)).Select(c => new string(c));

    /// <summary>Gets an id: mostly short, sometimes long enough to be hashed, sometimes one of the classic attacks.</summary>
    public static readonly Gen<string> Id = Gen.Frequency(
        (8, Short),
        (2, Long),
        (1, Gen.Elements(
            "s1\r\nX-A: 1\r\n\r\nPOST /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
            "\0",
            "Bestellung-Müller-1",
            "%41",
            "A",
            new string('x', 10_000),
            " ",
            "\uD83D\uDE00",
            "\uD83D",
            "\uDE00")));

    /// <summary>Gets a pair of ids, often the second a small edit of the first, so near-collisions are tried.</summary>
    public static readonly Gen<(string A, string B)> Pair = Gen.Frequency(
        (1, Id.Two()),
        (2, from a in Id
            from position in Gen.Choose(0, 1_000)
            from c in Char
            let index = a.Length == 0 ? 0 : position % (a.Length + 1)
            select (a, a.Insert(index, c.ToString()))),
        (2, from a in Id.Where(s => s.Length > 0)
            from position in Gen.Choose(0, 1_000)
            from c in Char
            let index = position % a.Length
            select (a, string.Concat(a.AsSpan(0, index), c.ToString(), a.AsSpan(index + 1)))));
}

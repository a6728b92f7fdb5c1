using System.Text;
using Commerce.Jobs.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// The escaping the SQLite and PostgreSQL stores share (one source file linked into both): reversible, storable
/// (valid UTF-16 without NUL, so valid UTF-8), and invisible on ordinary text.
/// </summary>
public sealed class StoredTextTests
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Text without NUL, lone surrogates or the escape character: emoji (valid pairs), line breaks and non-ASCII included.</summary>
    private static readonly Arbitrary<string> Ordinary =
        (from n in Gen.Choose(0, 40)
         from parts in Gen.ArrayOf(Gen.Frequency(
             (5, Gen.Choose(1, 0x7F).Select(c => ((char)c).ToString())),
             (1, Gen.Elements("é", "東", "\r\n", "\u2028", "\uE001", "\uF8FF", "\uFFFD", "\uFFFF", "😀", "\uDBFF\uDFFF", "E000", "\\u0000")),
             (1, Gen.Choose(0x80, 0xD7FF).Select(c => ((char)c).ToString()))), n)
         select string.Concat(parts)).ToArbitrary();

    [Property(MaxTest = 1000)]
    public Property Unescape_restores_what_Escape_stored() =>
        Prop.ForAll(StoreTestData.HostileStrings, text => StoredText.Unescape(StoredText.Escape(text)) == text);

    [Property(MaxTest = 1000)]
    public Property Escaped_text_is_storable_valid_unicode_without_NUL() => Prop.ForAll(StoreTestData.HostileStrings, text =>
    {
        var escaped = StoredText.Escape(text);
        Assert.DoesNotContain('\0', escaped);
        Assert.Equal(escaped, Strict.GetString(Strict.GetBytes(escaped)));   // throws on a lone surrogate
    });

    [Property(MaxTest = 1000)]
    public Property Ordinary_text_is_stored_unchanged() => Prop.ForAll(Ordinary, text =>
        ReferenceEquals(text, StoredText.Escape(text)) && ReferenceEquals(text, StoredText.Unescape(text)));

    [Property(MaxTest = 1000)]
    public Property Distinct_texts_stay_distinct_when_escaped() => Prop.ForAll(StoreTestData.HostileStrings, StoreTestData.HostileStrings, (a, b) =>
        (a == b) == (StoredText.Escape(a) == StoredText.Escape(b)));

    [Fact]
    public void Escape_writes_the_private_use_escape_and_four_hex_digits()
    {
        // Not [InlineData]: attribute strings are stored as UTF-8, which turns a lone surrogate into U+FFFD.
        foreach (var (text, stored) in new[]
        {
            ("a\0b", "a\uE0000000b"),
            ("\uD800x", "\uE000D800x"),
            ("x\uDC00", "x\uE000DC00"),
            ("\uDC00\uD800", "\uE000DC00\uE000D800"),
            ("\uD800\uD83D\uDE00", "\uE000D800\uD83D\uDE00"),
            ("\uE000", "\uE000E000"),
            ("\uE0000000", "\uE000E0000000"),
            ("😀 \uD83D\uDE00", "😀 \uD83D\uDE00"),
        })
        {
            Assert.Equal(stored, StoredText.Escape(text));
            Assert.Equal(text, StoredText.Unescape(stored));
        }
    }

    [Theory]
    [InlineData("\uE000")]
    [InlineData("\uE000abcd")]
    [InlineData("\uE0000041")]
    [InlineData("x\uE00000")]
    public void Unescape_leaves_an_escape_character_it_did_not_write_as_it_is(string stored) =>
        Assert.Equal(stored, StoredText.Unescape(stored));
}

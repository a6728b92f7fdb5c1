using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Abstractions.Tests.Records;

[Properties(Replay = HostileIds.PropertySeed)]
public sealed class IdempotencyKeyTests
{
    private static readonly Arbitrary<string> Ids = HostileIds.Id.ToArbitrary();

    private static readonly Arbitrary<(string A, string B)> Pairs = HostileIds.Pair.ToArbitrary();

    private static readonly Arbitrary<(string Scope, string Id)> ScopesAndIds =
        (from scope in Gen.Frequency((3, Gen.Elements("order-submit", "categories", "a:b", "job%", "Jöb")), (1, HostileIds.Id))
         from id in HostileIds.Id
         select (scope, id)).ToArbitrary();

    [Property(MaxTest = 2_000)]
    public Property Create_is_one_line_of_visible_ASCII_no_longer_than_MaxLength() => Prop.ForAll(ScopesAndIds, c =>
    {
        var key = IdempotencyKey.Create(c.Scope, c.Id);
        return key.All(ch => ch is >= '!' and <= '~') && key.Length <= IdempotencyKey.MaxLength;
    });

    [Property(MaxTest = 2_000)]
    public Property Create_gives_distinct_ids_distinct_keys() => Prop.ForAll(Pairs, p =>
        (p.A == p.B) == (IdempotencyKey.Create("order-submit", p.A) == IdempotencyKey.Create("order-submit", p.B)));

    [Property(MaxTest = 2_000)]
    public Property Create_gives_distinct_scopes_distinct_keys() => Prop.ForAll(Pairs, p =>
        (p.A == p.B) == (IdempotencyKey.Create(p.A, "SO-1") == IdempotencyKey.Create(p.B, "SO-1")));

    [Property(MaxTest = 1_000)]
    public Property Create_reads_back_to_the_id_when_it_is_not_hashed() => Prop.ForAll(Ids, id =>
    {
        var key = IdempotencyKey.Create("order-submit", id);
        var part = key["order-submit:".Length..];
        var encoded = IdempotencyKey.Encode(id);
        return encoded.Length > IdempotencyKey.MaxPartLength ? part == Sha256Hex(encoded) : Decode(part) == id;
    });

    [Property(MaxTest = 1_000)]
    public Property Create_is_stable() => Prop.ForAll(ScopesAndIds, c =>
        IdempotencyKey.Create(c.Scope, c.Id) == IdempotencyKey.Create(new string(c.Scope.AsSpan()), new string(c.Id.AsSpan())));

    [Property(MaxTest = 1_000)]
    public Property Encode_is_visible_ASCII_and_keeps_plain_values() => Prop.ForAll(Ids, id =>
    {
        var encoded = IdempotencyKey.Encode(id);
        var plain = id.All(ch => ch is >= '!' and <= '~' and not '%');
        return encoded.All(ch => ch is >= '!' and <= '~') && (!plain || ReferenceEquals(encoded, id)) && Decode(encoded) == id;
    });

    [Theory]
    [InlineData("order-submit", "SO-1001", "order-submit:SO-1001")]
    [InlineData("order-submit", "a:b/c?d=e", "order-submit:a:b/c?d=e")]
    [InlineData("order-submit", "Bestellung-Müller-1", "order-submit:Bestellung-M%C3%BCller-1")]
    [InlineData("order-submit", "s1\r\nX-A: 1", "order-submit:s1%0D%0AX-A:%201")]
    [InlineData("order-submit", "100%", "order-submit:100%25")]
    [InlineData("order-submit", "\0", "order-submit:%00")]
    [InlineData("order-submit", "", "order-submit:")]
    [InlineData("order-submit", "\uD83D\uDE00", "order-submit:%F0%9F%98%80")]
    [InlineData("order-submit", "\uFFFD", "order-submit:%EF%BF%BD")]
    [InlineData("a:b", "c", "a%3Ab:c")]
    [InlineData("Jöb", "1", "J%C3%B6b:1")]
    public void Create_encodes_as_documented(string scope, string id, string expected)
        => Assert.Equal(expected, IdempotencyKey.Create(scope, id));

    [Fact]
    public void Create_hashes_an_id_longer_than_MaxPartLength_after_encoding()
    {
        var exactly = new string('x', IdempotencyKey.MaxPartLength);
        var longer = new string('x', 10_000);
        var encodedLonger = new string('ü', IdempotencyKey.MaxPartLength / 6 + 1);   // 34 chars, 204 after encoding

        Assert.Equal("j:" + exactly, IdempotencyKey.Create("j", exactly));
        Assert.Equal("j:" + Sha256Hex(longer), IdempotencyKey.Create("j", longer));
        Assert.Equal("j:" + Sha256Hex(IdempotencyKey.Encode(encodedLonger)), IdempotencyKey.Create("j", encodedLonger));
        Assert.NotEqual(IdempotencyKey.Create("j", longer), IdempotencyKey.Create("j", longer + "y"));
    }

    [Fact]
    public void Lone_surrogates_and_their_replacement_character_get_distinct_keys()
    {
        // Not in [InlineData]: attribute metadata does not keep a lone surrogate.
        var keys = new[] { "\uD800", "\uDC00", "\uFFFD", "\uDC00\uD800", "\uD800\uDC00" }.Select(id => IdempotencyKey.Create("j", id)).ToList();

        Assert.Equal("j:%ED%A0%BD", IdempotencyKey.Create("j", "\uD83D"));

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_scope_ends_at_the_first_colon()
        => Assert.NotEqual(IdempotencyKey.Create("a:b", "c"), IdempotencyKey.Create("a", "b:c"));

    [Fact]
    public void DeliveryBatch_key_of_a_hostile_id_is_the_safe_key()
    {
        var ids = new[] { "s1\r\nX-A: 1\r\n\r\nPOST /smuggled HTTP/1.1", "s1", "100%", "100%25", "Bestellung-Müller-1" };
        var batch = new DeliveryBatch<string>("order-submit", ids, s => s, 0);

        var keys = Enumerable.Range(0, ids.Length).Select(batch.GetIdempotencyKey).ToList();

        Assert.Equal(ids.Select(id => IdempotencyKey.Create("order-submit", id)), keys);
        Assert.All(keys, key => Assert.True(key.All(ch => ch is >= '!' and <= '~'), key));
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void EntityChange_key_encodes_its_id_part_the_same_way()
    {
        var change = EntityChange.Upsert("categories", "Schuhe & Stiefel\r\n", payload: null, version: 7);

        Assert.Equal("categories:Schuhe%20&%20Stiefel%0D%0A:7", change.IdempotencyKey);
        Assert.Equal(IdempotencyKey.Create("categories", change.RecordId), change.IdempotencyKey);
        Assert.Equal(change.IdempotencyKey, new DeliveryBatch<EntityChange>("categories", new[] { change }, c => c.RecordId, 0).GetIdempotencyKey(0));
    }

    private static string Sha256Hex(string ascii) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(ascii)));

    /// <summary>Reads a percent-encoded part back: <c>%XX</c> bytes as WTF-8 (a lone surrogate is three bytes of its code unit).</summary>
    private static string Decode(string part)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] == '%')
            {
                bytes.Add(Convert.ToByte(part.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)part[i]);
            }
        }

        var text = new System.Text.StringBuilder();
        for (var i = 0; i < bytes.Count;)
        {
            var b = bytes[i];
            if (b < 0x80)
            {
                text.Append((char)b);
                i++;
            }
            else if (b < 0xE0)
            {
                text.Append((char)(((b & 0x1F) << 6) | (bytes[i + 1] & 0x3F)));
                i += 2;
            }
            else if (b < 0xF0)
            {
                text.Append((char)(((b & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F)));
                i += 3;
            }
            else
            {
                var cp = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3F) << 12) | ((bytes[i + 2] & 0x3F) << 6) | (bytes[i + 3] & 0x3F);
                text.Append(char.ConvertFromUtf32(cp));
                i += 4;
            }
        }

        return text.ToString();
    }
}

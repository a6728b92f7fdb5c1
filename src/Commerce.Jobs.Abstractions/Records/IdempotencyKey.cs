using System.Buffers;

namespace Commerce.Jobs;

/// <summary>
/// Builds idempotency keys: <c>{scope}:{id}</c>, one line of visible ASCII that is safe in an HTTP header, a Kafka
/// header, a URL or a store column, and distinct for distinct ids. Every key the library hands a target (in a body, a
/// header, a message or the store) is made here.
/// </summary>
/// <remarks>
/// <para>
/// Both parts are percent-encoded: every character outside visible ASCII (<c>!</c> to <c>~</c>), and <c>%</c> itself,
/// becomes the <c>%XX</c> (uppercase hex) of each of its UTF-8 bytes; a lone surrogate becomes the three bytes of its
/// UTF-16 code unit (as WTF-8 writes it), so it stays distinct from U+FFFD. In the scope (a job name or an entity type)
/// <c>:</c> is encoded too, so the first <c>:</c> of a key always ends the scope. Ids and job names of visible ASCII
/// without <c>%</c> are kept as they are: <c>order-submit:SO-1001</c>.
/// </para>
/// <para>
/// A part longer than <see cref="MaxPartLength"/> characters after encoding is replaced by the SHA-256 of its encoded
/// text, as 64 lowercase hex digits, so a key is never longer than <see cref="MaxLength"/> characters.
/// </para>
/// </remarks>
public static class IdempotencyKey
{
    /// <summary>The longest a part (scope or id) of a key is after encoding; a longer one is replaced by its SHA-256 in hex.</summary>
    public const int MaxPartLength = 200;

    /// <summary>The longest a key is: two parts of at most <see cref="MaxPartLength"/> characters and the <c>:</c> between them.</summary>
    public const int MaxLength = (2 * MaxPartLength) + 1;

    /// <summary>Visible ASCII except <c>%</c>: kept as they are in an id.</summary>
    private static readonly SearchValues<char> IdChars = PercentEncoding.VisibleAscii(except: "%");

    /// <summary>Visible ASCII except <c>%</c> and <c>:</c>: kept as they are in a scope.</summary>
    private static readonly SearchValues<char> ScopeChars = PercentEncoding.VisibleAscii(except: "%:");

    /// <summary>Creates the idempotency key of the record <paramref name="id"/> in <paramref name="scope"/>.</summary>
    /// <param name="scope">The job's name (an entity type for entity changes).</param>
    /// <param name="id">The record's id (<c>{id}:{version}</c> for an entity change).</param>
    /// <returns><c>{scope}:{id}</c>, each part encoded (and hashed when long) as the remarks say.</returns>
    /// <example><c>IdempotencyKey.Create("order-submit", "Bestellung-Müller 1")</c> is <c>order-submit:Bestellung-M%C3%BCller%201</c>.</example>
    public static string Create(string scope, string id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(id);
        return string.Concat(Part(scope, ScopeChars), ":", Part(id, IdChars));
    }

    /// <summary>
    /// Percent-encodes <paramref name="value"/> as a key's id part is encoded (without hashing): every character outside
    /// visible ASCII, and <c>%</c>, becomes <c>%XX</c> of its UTF-8 bytes. Use it for any other outside value that goes
    /// into a header (a Kafka header, an HTTP header).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The value as one line of visible ASCII; the same value when it holds only visible ASCII without <c>%</c>.</returns>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PercentEncoding.Encode(value, IdChars);
    }

    private static string Part(string value, SearchValues<char> kept)
        => PercentEncoding.HashIfLonger(PercentEncoding.Encode(value, kept), MaxPartLength);
}

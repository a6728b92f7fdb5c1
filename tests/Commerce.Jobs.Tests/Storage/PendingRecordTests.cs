using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Storage;

public sealed class PendingRecordTests
{
    [Fact]
    public void Records_with_the_same_payload_bytes_in_different_arrays_are_equal_and_hash_alike()
    {
        var a = new PendingRecord("SO1", "order-submit:SO1", [1, 2, 3], Sequence: 7, Attempts: 1, LastError: "ERP busy");
        var b = a with { Payload = [1, 2, 3] };

        Assert.NotSame(a.Payload, b.Payload);
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void Records_differing_in_any_value_are_not_equal()
    {
        var a = new PendingRecord("SO1", "order-submit:SO1", [1, 2, 3], Sequence: 7, Attempts: 1, LastError: "ERP busy");

        Assert.NotEqual(a, a with { Payload = [1, 2, 4] });
        Assert.NotEqual(a, a with { Payload = [1, 2] });
        Assert.NotEqual(a, a with { Payload = [] });
        Assert.NotEqual(a, a with { RecordId = "so1" });
        Assert.NotEqual(a, a with { IdempotencyKey = "order-submit:SO2" });
        Assert.NotEqual(a, a with { Sequence = 8 });
        Assert.NotEqual(a, a with { Attempts = 2 });
        Assert.NotEqual(a, a with { LastError = null });
        Assert.False(a.Equals(null));
    }

    [Property]
    public Property Equality_follows_the_payload_bytes(byte[] payload, byte[] other, string id)
    {
        payload ??= [];
        other ??= [];
        id ??= string.Empty;
        var a = new PendingRecord(id, id, payload);
        var copy = a with { Payload = [.. payload] };
        var b = a with { Payload = other };
        return (a.Equals(copy) && a.GetHashCode() == copy.GetHashCode() && a.Equals(b) == payload.AsSpan().SequenceEqual(other)).ToProperty();
    }
}

namespace Commerce.Jobs;

/// <summary>
/// Names a record of a batch in an error text: its id made safe (<see cref="IdempotencyKey.Encode"/>, cut at
/// <see cref="IdempotencyKey.MaxPartLength"/> characters), or its place in the batch when the id itself cannot be read.
/// Linked into each target package that reports a record's own failure, so all of them name it alike.
/// </summary>
internal static class RecordName
{
    public static string Of<T>(DeliveryBatch<T> batch, int index)
    {
        try
        {
            var id = IdempotencyKey.Encode(batch.GetRecordId(index));
            return id.Length > IdempotencyKey.MaxPartLength ? $"'{id.AsSpan(0, IdempotencyKey.MaxPartLength)}…'" : $"'{id}'";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"#{index + 1} of the batch";
        }
    }
}

namespace Commerce.Jobs.Records;

/// <summary>A batch on its way from the reader to delivery: a pooled array and how much of it is filled.</summary>
internal readonly record struct RecordBatch<T>(T[] Items, int Count)
{
    public ReadOnlyMemory<T> Memory => new(Items, 0, Count);
}

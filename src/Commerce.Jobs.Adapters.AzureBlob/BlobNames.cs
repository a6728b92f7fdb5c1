using System.Globalization;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>
/// Names a batch's blob: <c>{prefix/}{job}/{yyyy}/{MM}/{dd}/{batch id}.jsonl</c> (<see cref="DeliveryBatch{T}.GetBatchId"/>);
/// the job's name (an entity type for entity sync) made one safe segment by <see cref="NameSegment"/>.
/// </summary>
internal static class BlobNames
{
    /// <summary>Returns the blob name of a batch delivered at <paramref name="utcNow"/>.</summary>
    public static string For(string? prefix, string job, DateTimeOffset utcNow, string batchId)
    {
        var date = utcNow.UtcDateTime.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture);
        var name = string.Concat(NameSegment.Create(job), "/", date, "/", batchId, ".jsonl");
        return prefix is null ? name : string.Concat(prefix.Trim('/'), "/", name);
    }
}

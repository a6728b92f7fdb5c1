using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Testing;

/// <summary>Reads a job's whole failure list page by page, as the dashboard or a report does (tests only: a run never does).</summary>
public static class RecordStoreTestExtensions
{
    /// <summary>Reads every failure of a job, in the store's page order, checking that pages move forward.</summary>
    /// <param name="store">The store.</param>
    /// <param name="jobName">The job.</param>
    /// <param name="pageSize">The page size.</param>
    /// <returns>The failures, in the store's order.</returns>
    public static async Task<IReadOnlyList<RecordFailure>> ReadAllRecordFailuresAsync(this IRecordStore store, string jobName, int pageSize = 100)
    {
        var all = new List<RecordFailure>();
        string? after = null;
        while (true)
        {
            var page = await store.GetRecordFailuresAsync(jobName, after, pageSize, CancellationToken.None);
            Assert.True(page.Count <= pageSize, $"A page of {pageSize} held {page.Count} failures.");
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }

            Assert.False(after is not null && string.Equals(after, page[^1].RecordId, StringComparison.Ordinal), "A page did not move forward.");
            after = page[^1].RecordId;
        }
    }
}

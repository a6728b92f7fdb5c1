using System.Globalization;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Files;

public sealed class FileExportTargetTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(Batches.Start);

    [Fact]
    public async Task Json_lines_round_trip_one_record_per_line()
    {
        var orders = Batches.Orders(3).Append(new Order("1004", "Line\nbreak \"quoted\" ünïcode", -0.5m)).ToArray();

        var result = await CreateSut(FileExportFormat.JsonLines).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var file = Assert.Single(_folder.Files());
        var lines = File.ReadAllText(Path.Combine(_folder.Path, file)).Split('\n');
        Assert.Equal(string.Empty, lines[^1]);
        Assert.Equal(orders, lines[..^1].Select(l => JsonSerializer.Deserialize<Order>(l, JsonSerializerOptions.Web)));
    }

    [Fact]
    public async Task File_name_carries_the_job_the_utc_time_and_the_batch_hash()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 3, 9, 14, 5, 7, 123, TimeSpan.Zero));

        await CreateSut(FileExportFormat.Csv).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Matches(@"^order-submit_20260309T140507123Z_[0-9a-f]{16}\.csv$", Assert.Single(_folder.Files()));
    }

    [Fact]
    public async Task Csv_quotes_delimiters_quotes_and_line_breaks_as_rfc_4180_says()
    {
        var orders = new[]
        {
            new Order("1", "Smith, John", 1m),
            new Order("2", "The \"Best\" Shop", 2m),
            new Order("3", "two\r\nlines", 3m),
            new Order("4", "bare\nlf", 4m),
            new Order("5", "  padded  ", 5m),
            new Order("6", string.Empty, 6m),
        };

        await CreateSut(FileExportFormat.Csv).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        var text = File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files())));
        Assert.Equal(
            "Id,Customer,Total\r\n1,\"Smith, John\",1\r\n2,\"The \"\"Best\"\" Shop\",2\r\n3,\"two\r\nlines\",3\r\n4,\"bare\nlf\",4\r\n5,  padded  ,5\r\n6,,6\r\n",
            text);
        var rows = Csv.Parse(text);
        Assert.Equal(["Id", "Customer", "Total"], rows[0]);
        Assert.Equal(orders.Select(o => o.Customer), rows.Skip(1).Select(r => r[1]));
    }

    [Fact]
    public async Task Csv_escapes_text_cells_a_spreadsheet_would_run_as_a_formula()
    {
        var orders = new[]
        {
            new Order("=HYPERLINK(\"http://evil\")", "=1+2", -5.5m),
            new Order("+1", "+cmd|' /C calc'!A0", 0m),
            new Order("-2", "-2+3", 1m),
            new Order("@SUM(A1)", "@x", 2m),
            new Order("tab", "\t=1", 3m),
            new Order("cr", "\r=1", 4m),
            new Order("plain", "a=b", 5m),
            new Order("quoted", "'=1+2", 6m), // a literal leading quote is escaped too, so removing one quote reads back any cell
        };

        await CreateSut(FileExportFormat.Csv).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        var rows = Csv.Parse(File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files()))));
        Assert.Equal(["'=HYPERLINK(\"http://evil\")", "'=1+2", "-5.5"], rows[1]);
        Assert.Equal(["'+1", "'+cmd|' /C calc'!A0", "0"], rows[2]);
        Assert.Equal(["'-2", "'-2+3", "1"], rows[3]);
        Assert.Equal(["'@SUM(A1)", "'@x", "2"], rows[4]);
        Assert.Equal(["tab", "'\t=1", "3"], rows[5]);
        Assert.Equal(["cr", "'\r=1", "4"], rows[6]);
        Assert.Equal(["plain", "a=b", "5"], rows[7]);
        Assert.Equal(["quoted", "''=1+2", "6"], rows[8]);
        Assert.NotEqual(rows[1][1], rows[8][1]);
    }

    [Fact]
    public async Task Csv_escapes_a_formula_in_a_one_column_file_too()
    {
        var batch = new DeliveryBatch<string>("sku-export", new[] { "=1+1", "-1" }, s => s, 0);

        await CreateSut(FileExportFormat.Csv).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal("Value\r\n'=1+1\r\n'-1\r\n", File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files()))));
    }

    [Theory]
    [InlineData("../../etc/cron.d/x")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("C:x")]
    [InlineData("*?<>|\"")]
    [InlineData("con")]
    [InlineData("NUL.txt")]
    [InlineData("Kategorien Ü")]
    [InlineData("line\r\nbreak\0")]
    [InlineData(".hidden.")]
    public async Task A_hostile_job_name_becomes_one_safe_file_name_in_the_folder_that_cleanup_recognises(string job)
    {
        var sut = CreateSut(FileExportFormat.JsonLines);

        var result = await sut.DeliverAsync(new DeliveryBatch<Order>(job, Batches.Orders(1), o => o.Id, 0), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var file = Assert.Single(_folder.Files());
        Assert.Equal(_folder.Path, Path.GetDirectoryName(Path.Combine(_folder.Path, file)));
        Assert.StartsWith(NameSegment.Create(job) + "_", file, StringComparison.Ordinal);
        Assert.Matches(@"^[A-Za-z0-9%_-][A-Za-z0-9%._-]*$", file);
        Assert.True(ExportFileNames.IsFinal(file), file);
    }

    [Fact]
    public async Task Job_names_that_differ_only_in_unsafe_characters_get_different_files()
    {
        var sut = CreateSut(FileExportFormat.JsonLines);

        foreach (var job in new[] { "a/b", "a\\b", "a:b", "a_b", "a%2Fb", new string('j', 300), new string('j', 301) })
        {
            await sut.DeliverAsync(new DeliveryBatch<Order>(job, Batches.Orders(1), o => o.Id, 0), CancellationToken.None);
        }

        var stems = _folder.Files().Select(f => f[..f.IndexOf("_2026", StringComparison.Ordinal)]).ToList();
        Assert.Equal(7, stems.Distinct(StringComparer.Ordinal).Count());
        Assert.All(stems, s => Assert.True(s.Length <= NameSegment.MaxLength, s));
    }

    [Fact]
    public async Task Csv_with_a_semicolon_quotes_semicolons_and_leaves_commas()
    {
        await CreateSut(FileExportFormat.Csv, o => o.CsvDelimiter = ';').DeliverAsync(Batches.Of(new Order("1", "a;b, c", 1.5m)), CancellationToken.None);

        var text = File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files())));
        Assert.Equal("Id;Customer;Total\r\n1;\"a;b, c\";1.5\r\n", text);
    }

    [Fact]
    public async Task Csv_header_is_the_public_properties_in_order_and_cells_are_culture_invariant()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var row = new Wide(
                "W-1", 1234.5m, 0.25, true, new DateTimeOffset(2026, 1, 5, 9, 30, 0, TimeSpan.FromHours(1)), new DateOnly(2026, 2, 1),
                DayOfWeek.Monday, null, ["a", "b"], new Address("Main St 1", "Springfield"));
            var batch = new DeliveryBatch<Wide>("stock-export", new[] { row }, w => w.Id, 0);

            await CreateSut(FileExportFormat.Csv).DeliverAsync(batch, CancellationToken.None);

            var rows = Csv.Parse(File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files()))));
            Assert.Equal(["Id", "Price", "Ratio", "Active", "ChangedAt", "Day", "Weekday", "Note", "Tags", "Address"], rows[0]);
            Assert.Equal(
                ["W-1", "1234.5", "0.25", "true", "2026-01-05T09:30:00.0000000+01:00", "2026-02-01", "Monday", string.Empty, "[\"a\",\"b\"]", "{\"street\":\"Main St 1\",\"city\":\"Springfield\"}"],
                rows[1]);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public async Task Csv_of_a_simple_type_has_one_value_column()
    {
        var batch = new DeliveryBatch<string>("sku-export", new[] { "A-1", "B,2" }, s => s, 0);

        await CreateSut(FileExportFormat.Csv).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal("Value\r\nA-1\r\n\"B,2\"\r\n", File.ReadAllText(Path.Combine(_folder.Path, Assert.Single(_folder.Files()))));
    }

    [Fact]
    public async Task A_written_file_is_complete_and_no_temporary_file_is_left()
    {
        var orders = Batches.Orders(5000);

        var result = await CreateSut(FileExportFormat.JsonLines).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var file = Assert.Single(Directory.GetFiles(_folder.Path, "*", new EnumerationOptions { AttributesToSkip = 0 }));
        Assert.EndsWith(".jsonl", file, StringComparison.Ordinal);
        var lines = File.ReadAllLines(file);
        Assert.Equal(5000, lines.Length);
        Assert.Equal(orders[^1], JsonSerializer.Deserialize<Order>(lines[^1], JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task A_record_that_throws_midway_leaves_no_file_at_all()
    {
        var records = new[] { new Exploding("1", false), new Exploding("2", false), new Exploding("3", true) };
        var batch = new DeliveryBatch<Exploding>("order-export", records, r => r.Id, 0);

        foreach (var format in new[] { FileExportFormat.JsonLines, FileExportFormat.Csv })
        {
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await CreateSut(format).DeliverAsync(batch, CancellationToken.None));
        }

        Assert.Empty(Directory.GetFiles(_folder.Path, "*", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task Cancellation_midway_leaves_no_file_at_all()
    {
        using var cts = new CancellationTokenSource();
        var records = Enumerable.Range(1, 10).Select(i => new Cancelling($"{i}", i == 3 ? cts : null)).ToArray();
        var batch = new DeliveryBatch<Cancelling>("order-export", records, r => r.Id, 0);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await CreateSut(FileExportFormat.Csv).DeliverAsync(batch, cts.Token));

        Assert.Empty(Directory.GetFiles(_folder.Path, "*", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task The_same_batch_delivered_again_is_not_written_twice()
    {
        var sut = CreateSut(FileExportFormat.Csv);
        var orders = Batches.Orders(3);

        await sut.DeliverAsync(Batches.Of(0, orders), CancellationToken.None);
        var first = Assert.Single(_folder.Files());
        _time.Advance(TimeSpan.FromMinutes(5));
        var again = await sut.DeliverAsync(Batches.Of(1, orders), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, again);
        Assert.Equal([first], _folder.Files());
    }

    [Fact]
    public async Task The_same_records_with_new_content_make_a_new_file()
    {
        var sut = CreateSut(FileExportFormat.JsonLines);
        var orders = Batches.Orders(2);

        await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        await sut.DeliverAsync(Batches.Of(orders[0] with { Total = 99m }, orders[1]), CancellationToken.None);

        Assert.Equal(2, _folder.Files().Length);
    }

    [Fact]
    public async Task A_missing_folder_is_a_clear_permanent_error()
    {
        var missing = Path.Combine(_folder.Path, "not-there");

        var result = await CreateSut(FileExportFormat.Csv, o => o.Folder = missing).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Equal($"File export target 'reports': folder '{missing}' does not exist (create it, or set CreateFolder to create it on the first export).", result.Error);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task CreateFolder_creates_a_missing_folder()
    {
        var missing = Path.Combine(_folder.Path, "a", "b");

        var result = await CreateSut(FileExportFormat.Csv, o => { o.Folder = missing; o.CreateFolder = true; }).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        Assert.Single(Directory.GetFiles(missing));
    }

    [Fact]
    public async Task A_folder_that_cannot_be_used_is_a_permanent_error()
    {
        var file = Path.Combine(_folder.Path, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");

        var result = await CreateSut(FileExportFormat.Csv, o => { o.Folder = Path.Combine(file, "exports"); o.CreateFolder = true; })
            .DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("could not be created", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_type_that_cannot_be_serialized_fails_permanently()
    {
        var batch = new DeliveryBatch<Unserializable>("order-export", new[] { new Unserializable("1", typeof(Order)) }, u => u.Id, 0);

        var result = await CreateSut(FileExportFormat.JsonLines).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("cannot be serialized", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder.Path, "*", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task Concurrent_batches_each_get_their_own_file()
    {
        var sut = CreateSut(FileExportFormat.JsonLines);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => sut.DeliverAsync(Batches.Of(Batches.Orders(50, prefix: $"{i}-")), CancellationToken.None).AsTask()));

        var files = _folder.Files();
        Assert.Equal(8, files.Length);
        Assert.Equal(400, files.Sum(f => File.ReadAllLines(Path.Combine(_folder.Path, f)).Length));
    }

    [Fact]
    public void Invalid_settings_throw_naming_the_target_and_setting()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateSut(FileExportFormat.Csv, o => { o.Folder = " "; o.CsvDelimiter = '"'; o.Format = (FileExportFormat)7; }));

        Assert.Contains("File export target 'reports': Folder is required.", ex.Failures);
        Assert.Contains("File export target 'reports': Format must be JsonLines or Csv (was 7).", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("File export target 'reports': CsvDelimiter must not be a quote", StringComparison.Ordinal));
    }

    public void Dispose() => _folder.Dispose();

    private FileExportTarget CreateSut(FileExportFormat format, Action<FileExportOptions>? configure = null)
    {
        var options = new FileExportOptions { Folder = _folder.Path, Format = format };
        configure?.Invoke(options);
        return new FileExportTarget("reports", options, _time, NullLogger.Instance);
    }

    public sealed record Address(string Street, string City);

    public sealed record Wide(string Id, decimal Price, double Ratio, bool Active, DateTimeOffset ChangedAt, DateOnly Day, DayOfWeek Weekday, string? Note, string[] Tags, Address Address)
    {
        public string this[int index] => Id;

        internal string Hidden => "not exported";
    }

    public sealed class Exploding(string id, bool explode)
    {
        public string Id { get; } = id;

        public string Name => explode ? throw new InvalidOperationException("lazy load failed") : "fine";
    }

    public sealed class Cancelling(string id, CancellationTokenSource? cancel)
    {
        public string Id { get; } = id;

        public string Name
        {
            get
            {
                cancel?.Cancel();
                return new StringBuilder("n-").Append(Id).ToString();
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// A throwaway PostgreSQL 15 cluster for one test run: initdb in a temp folder, started on 127.0.0.1 on a free port with
/// fsync off, stopped with <c>pg_ctl stop -m immediate</c> and deleted at the end. As root the server runs as the
/// <c>postgres</c> user (it refuses to run as root). A missing server fails the tests with how to install it.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    /// <summary>Where Debian's postgresql-15 puts the server binaries; COMMERCE_JOBS_PG_BIN overrides it.</summary>
    public static readonly string BinDirectory = Environment.GetEnvironmentVariable("COMMERCE_JOBS_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private string? _root;
    private string? _data;
    private int _databases;

    /// <summary>Gets the connection string of the <c>postgres</c> database (as the superuser).</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    public int Port { get; private set; }

    private static bool IsRoot => Environment.UserName == "root";

    public async Task InitializeAsync()
    {
        var initdb = Path.Combine(BinDirectory, "initdb");
        if (!File.Exists(initdb))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 server binaries are missing ({initdb} not found). Install them with `apt-get update && apt-get install -y postgresql` "
                + "(eng/test.sh does this), or point COMMERCE_JOBS_PG_BIN at a PostgreSQL 15 bin folder.");
        }

        _root = Directory.CreateTempSubdirectory("commerce-jobs-pg-").FullName;
        _data = Path.Combine(_root, "data");
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _root], asPostgres: false);
        }

        await RunAsync(initdb, ["-D", _data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], asPostgres: true);

        // A free port: another process could take it between here and the start, so try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            var options = string.Join(' ',
                $"-h 127.0.0.1 -p {Port.ToString(CultureInfo.InvariantCulture)} -k {_root}",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB");
            try
            {
                await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _data, "-w", "-t", "60", "-l", Path.Combine(_root, "server.log"), "-o", options, "start"], asPostgres: true);
                break;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Port taken: try another.
            }
        }

        AdminConnectionString = ConnectionString("postgres");
    }

    public async Task DisposeAsync()
    {
        if (_data is not null && Directory.Exists(_data))
        {
            try
            {
                await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _data, "-m", "immediate", "stop"], asPostgres: true);
            }
            catch (InvalidOperationException)
            {
                // Not running (the start failed): nothing to stop.
            }
        }

        NpgsqlConnection.ClearAllPools();
        if (_root is not null)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        MaxPoolSize = 20,
        Timeout = 30,
    }.ConnectionString;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && IsRoot)
        {
            start.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = file;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish within {CommandTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlServer>
{
    public const string Name = "PostgreSQL";
}

using System.Net;
using System.Net.Sockets;
using Commerce.Jobs.Adapters.PostgreSql;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>A server or database the store cannot reach fails its first call naming the store, host and database (never the password).</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlOpenFailureTests(PostgreSqlServer server)
{
    private const string Password = "s3cret-Passw0rd";

    [Fact]
    public async Task A_server_that_refuses_the_connection_fails_naming_the_store_host_and_database()
    {
        var port = ClosedPort();
        await using var store = CreateSut($"Host=127.0.0.1;Port={port};Database=orders_db;Username=jobs;Password={Password};Timeout=5");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetCheckpointAsync("order-export", default).AsTask());

        Assert.StartsWith($"PostgreSQL job store (host 127.0.0.1:{port}, database 'orders_db', schema 'commerce_jobs') could not be opened:", ex.Message);
        Assert.DoesNotContain(Password, ex.Message);
        Assert.IsAssignableFrom<NpgsqlException>(ex.InnerException);
    }

    [Fact]
    public async Task A_missing_database_fails_naming_the_store_host_and_database_and_a_later_call_tries_again()
    {
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString("no_such_database")) { Password = Password };
        await using var store = CreateSut(builder.ConnectionString);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetCheckpointAsync("order-export", default).AsTask());
        Assert.StartsWith($"PostgreSQL job store (host 127.0.0.1:{server.Port}, database 'no_such_database', schema 'commerce_jobs') could not be opened:", ex.Message);
        Assert.Contains("3D000", ex.Message);
        Assert.DoesNotContain(Password, ex.Message);
        Assert.Equal("3D000", Assert.IsType<PostgresException>(ex.InnerException).SqlState);

        // Not cached: the next call tries again (and fails the same way while the database is missing).
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetCheckpointAsync("order-export", default).AsTask());
    }

    private static PostgreSqlJobStore CreateSut(string connectionString) => new(new PostgreSqlStoreOptions { ConnectionString = connectionString });

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

package io.mobiserve.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.NameResolverRegistry;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The ipv4: target syntax that Python's and Node's gRPC accept, and its place among gRPC's resolvers. */
class StaticAddressesTest {

  @Test
  void parse_readsEveryAddressWithItsPort_and443WhenThereIsNone() {
    assertThat(StaticAddresses.parse("ipv4:127.0.0.1:5001,10.0.0.2:5002, 10.0.0.3")).containsExactly(
        new InetSocketAddress("127.0.0.1", 5001), new InetSocketAddress("10.0.0.2", 5002),
        new InetSocketAddress("10.0.0.3", 443));
  }

  @Test
  void parse_refusesHostNamesBadPortsAndAuthorityForms_namingThePart() {
    assertThatThrownBy(() -> StaticAddresses.parse("ipv4:localhost:5001"))
        .hasMessage("'localhost' in 'ipv4:localhost:5001' is not an IPv4 address");
    assertThatThrownBy(() -> StaticAddresses.parse("ipv4:127.0.0.1:5001,::1"))
        .hasMessage("'' in 'ipv4:127.0.0.1:5001,::1' is not an IPv4 address");
    assertThatThrownBy(() -> StaticAddresses.parse("ipv4:127.0.0.1:99999"))
        .hasMessage("'99999' in 'ipv4:127.0.0.1:99999' is not a port (1 to 65535)");
    assertThatThrownBy(() -> StaticAddresses.parse("ipv4:127.0.0.1:5001,"))
        .hasMessage("'' in 'ipv4:127.0.0.1:5001,' is not an IPv4 address");
    assertThatThrownBy(() -> StaticAddresses.parse("ipv4:///127.0.0.1:5001"))
        .hasMessage("'ipv4:///127.0.0.1:5001': write ipv4:ADDRESS:PORT,... without '//'");
  }

  @Test
  void theRegistry_resolvesIpv4Targets_andKeepsDnsForTargetsWithoutAScheme() {
    NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();

    assertThat(registry.getProviderForScheme("ipv4")).isInstanceOf(StaticAddresses.class);
    // The highest-priority provider names the scheme of "host:port" targets: it must stay DNS.
    assertThat(registry.asFactory().getDefaultScheme()).isEqualTo("dns");
  }

  @Test
  void roundRobin_isThePolicyForDnsAndIpv4Targets_only() {
    assertThat(ClientChannels.roundRobin("dns:///mobiserve-headless.default.svc.cluster.local:8500")).isTrue();
    assertThat(ClientChannels.roundRobin("ipv4:127.0.0.1:5001,127.0.0.1:5002")).isTrue();
    assertThat(ClientChannels.roundRobin("mobiserve:8500")).isFalse();
  }
}

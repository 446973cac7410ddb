package io.nsqpush.app;

import io.nsqpush.nsq.NsqAddress;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;

/** push.proxy and push.trust-store, applied to camel-http's http and https components. */
final class HttpClientSettings {

    private HttpClientSettings() {
    }

    static void apply(CamelContext context) {
        PropertiesComponent properties = context.getPropertiesComponent();
        String proxy = properties.resolveProperty("push.proxy").orElse("").trim();
        String trustStore = properties.resolveProperty("push.trust-store").orElse("").trim();
        long timeout = io.nsqpush.config.Durations.parseMillis(properties.resolveProperty("push.timeout").orElse("15s"));
        long connect = io.nsqpush.config.Durations.parseMillis(
                properties.resolveProperty("push.connect-timeout").orElse("2s"));
        for (String scheme : new String[] {"http", "https"}) {
            HttpComponent http = context.getComponent(scheme, HttpComponent.class);
            http.setConnectTimeout(connect);
            http.setResponseTimeout(timeout);
            http.setSoTimeout(timeout);
            http.setConnectionRequestTimeout(timeout);
            // HttpClient must not resend a POST by itself (duplicates): retries are the route's business
            http.setAutomaticRetriesDisabled(true);
            http.setFollowRedirects(false);
            if (!proxy.isEmpty()) {
                NsqAddress address = NsqAddress.parse(proxy);
                http.setProxyHost(address.host());
                http.setProxyPort(address.port());
            }
            if (!trustStore.isEmpty()) {
                KeyStoreParameters store = new KeyStoreParameters();
                store.setCamelContext(context);
                store.setResource("file:" + trustStore);
                store.setPassword(properties.resolveProperty("push.trust-store-password").orElse(""));
                store.setType("PKCS12");
                TrustManagersParameters trust = new TrustManagersParameters();
                trust.setCamelContext(context);
                trust.setKeyStore(store);
                SSLContextParameters ssl = new SSLContextParameters();
                ssl.setCamelContext(context);
                ssl.setTrustManagers(trust);
                http.setSslContextParameters(ssl);
            }
        }
    }
}

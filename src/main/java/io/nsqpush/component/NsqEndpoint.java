package io.nsqpush.component;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.EndpointServiceLocation;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;

/** An NSQ topic: consume from one of its channels, or publish to it. */
@UriEndpoint(firstVersion = "0.1.0", scheme = "nsq", title = "NSQ", syntax = "nsq:topic",
             category = {Category.MESSAGING}, headersClass = NsqConstants.class)
public class NsqEndpoint extends DefaultEndpoint implements EndpointServiceLocation {

    @UriParam
    private NsqConfiguration configuration;

    public NsqEndpoint(String uri, NsqComponent component, NsqConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public NsqComponent getComponent() {
        return (NsqComponent) super.getComponent();
    }

    public NsqConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(NsqConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        configuration.validate();
    }

    @Override
    public Producer createProducer() {
        return new NsqProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        configuration.validateForConsumer();
        NsqConsumer consumer = new NsqConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    /** Masked: it goes into span attributes and Camel's service registry, and lookupd URLs may carry credentials. */
    @Override
    public String getServiceUrl() {
        String servers = configuration.getServers();
        return UriMasking.list(servers != null && !servers.isBlank() ? servers : configuration.getLookupd());
    }

    @Override
    public String getServiceProtocol() {
        return "tcp";
    }
}

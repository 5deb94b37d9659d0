import { mount } from 'svelte';
import App from './App.svelte';
import { createApi } from './lib/api.js';
import './app.css';

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
mount(App, { target, props: { api: createApi() } });
